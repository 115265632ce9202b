import type { Logger } from '@switchboard/logger';
import { backoffDelay, type Backoff } from '@switchboard/timing';
import { toDeadLetter } from '../dead-letters/to-dead-letter';
import type { BatchControl, EventProducer } from '../event-bus';
import type { EventRecord } from '../event-record';
import type { InboxTelemetry } from './create-inbox-telemetry';
import type { PartitionPacer } from './create-partition-pacer';

/** Writes a record to its topic's `.dlq` twin, retrying until the broker acknowledges it. */
export type DeadLetterWriter = (
  record: EventRecord,
  attempts: number,
  error: string,
  control: BatchControl,
) => Promise<'dead-lettered' | 'interrupted'>;

export interface DeadLetterWriterOptions {
  readonly producer: EventProducer;
  readonly groupId: string;
  readonly log: Logger;
  readonly backoff: Backoff;
  readonly pacer: PartitionPacer;
  readonly telemetry: InboxTelemetry;
}

export function createDeadLetterWriter(options: DeadLetterWriterOptions): DeadLetterWriter {
  const { producer, groupId, log, backoff, pacer, telemetry } = options;
  return async (record, attempts, error, control) => {
    const letter = toDeadLetter(record, { attempts, error, groupId });
    let attempt = 0;
    for (;;) {
      try {
        // The letter keeps the record's headers, trace context included, so
        // a redriven event's process span joins the trace it started in.
        await producer.publishRaw([letter]);
        telemetry.deadLettered(record);
        return 'dead-lettered';
      } catch (err) {
        // Never commit past a record whose dead letter is not acknowledged.
        attempt++;
        log.warn({ err, topic: letter.topic }, 'cannot write dead letter; will retry');
        if (!(await pacer.pause(backoffDelay(backoff, attempt), control))) return 'interrupted';
      }
    }
  };
}
