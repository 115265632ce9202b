import type { ConsumerRunConfig } from 'kafkajs';
import type { Logger } from '@switchboard/logger';
import { decodeEvent, type DecodedEvent } from '../cloudevents/decode-event';
import { EventDecodeError } from '../cloudevents/event-decode-error';
import type { EventRegistry } from '../create-event-registry';
import type { ConsumerOptions, EventConsumerOptions } from '../event-bus';
import type { EventRecord } from '../event-record';
import { createBatchControl } from './create-batch-control';
import { toEventRecord } from './to-event-record';
import { toRecordBatch } from './to-record-batch';

/** How kafkajs runs a consumer of each kind. */
export function toRunConfig(
  options: ConsumerOptions,
  registry: EventRegistry,
  log: Logger,
): ConsumerRunConfig {
  const ephemeral = options.ephemeral ?? false;
  switch (options.kind) {
    case 'batch': {
      const { onBatch } = options;
      return {
        autoCommit: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        // Left to the handler: an unresolved record must be fetched again.
        eachBatchAutoResolve: false,
        eachBatch: async (payload) =>
          onBatch(toRecordBatch(payload.batch), createBatchControl(payload, ephemeral)),
      };
    }
    case 'record': {
      const { onRecord } = options;
      return {
        autoCommit: !ephemeral,
        eachMessage: async ({ topic, partition, message }) =>
          onRecord(toEventRecord(topic, partition, message)),
      };
    }
    case 'event':
      return {
        autoCommit: !ephemeral,
        eachMessage: async ({ topic, partition, message }) =>
          deliverEvent(toEventRecord(topic, partition, message), options, registry, log),
      };
    default:
      // Unreachable from typed code; plain JavaScript gets a clear error, not a silent consumer.
      throw new Error(
        `consumer ${(options as { groupId?: string }).groupId} needs kind 'event', 'record' or 'batch'`,
      );
  }
}

async function deliverEvent(
  record: EventRecord,
  options: EventConsumerOptions,
  registry: EventRegistry,
  log: Logger,
): Promise<void> {
  let event: DecodedEvent;
  try {
    event = decodeEvent(record, registry);
  } catch (err) {
    if (!(err instanceof EventDecodeError)) throw err;
    if (options.onDecodeError) {
      await options.onDecodeError(err, record);
    } else {
      log.error(
        {
          reason: err.reason,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        },
        `skipping undecodable record: ${err.message}`,
      );
    }
    return;
  }
  await options.onEvent(event);
}
