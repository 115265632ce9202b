import { create, toJsonString } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { TopicRecordSchema, type TopicRecord } from '@switchboard/contracts';
import {
  cloudEventHeaders,
  decodeEvent,
  isEventDecodeError,
  type EventRecord,
  type EventRegistry,
} from '@switchboard/event-bus';
import { traceIdOf } from './trace-id-of';

/**
 * A record as the console shows it: decoded to JSON through the registry
 * when it can be, and otherwise with the reason, because a record that does
 * not decode is the one worth looking at.
 */
export function toTopicRecord(record: EventRecord, registry: EventRegistry): TopicRecord {
  const binary = record.binaryHeaders ?? {};
  const message = create(TopicRecordSchema, {
    topic: record.topic,
    partition: record.partition,
    offset: BigInt(record.offset),
    key: record.key ?? '',
    headers: Object.entries(record.headers).map(([key, value]) => {
      const bytes = binary[key];
      return { key, value: bytes ? Buffer.from(bytes).toString('base64') : value };
    }),
    eventType: record.headers[cloudEventHeaders.type] ?? '',
    traceId: traceIdOf(record.headers.traceparent),
  });
  const ms = Number(record.timestamp);
  if (Number.isFinite(ms) && ms >= 0) message.timestamp = timestampFromMs(ms);
  try {
    const event = decodeEvent(record, registry);
    message.json = toJsonString(event.schema, event.message, { registry: registry.protobuf });
  } catch (err) {
    if (!isEventDecodeError(err)) throw err;
    message.decodeError = `${err.reason}: ${err.message}`;
  }
  return message;
}
