import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import type { Storage } from '@switchboard/storage';
import { backoffDelay, type Backoff } from '@switchboard/timing';
import type { DecodedEvent } from '../cloudevents/decode-event';
import { errorMessage } from '../error-message';
import type { BatchControl } from '../event-bus';
import type { EventRecord } from '../event-record';
import { applyOnce } from './apply-once';
import type { DatabaseWaiter } from './create-database-waiter';
import type { DeadLetterWriter } from './create-dead-letter-writer';
import type { InboxTelemetry } from './create-inbox-telemetry';
import type { PartitionPacer } from './create-partition-pacer';
import { eventLogger } from './event-logger';
import type { InboxDatabase } from './inbox-migrations';
import type { Subscription } from './on';
import type { Outcome } from './outcome';
import { UnprocessableEventError } from './unprocessable-event-error';

/**
 * Attempts the handler until it commits, turns out a duplicate, or is
 * dead-lettered. `earlier`: the error of an attempt already made (in a
 * run), counted as the first.
 */
export type RecordRetrier = (
  event: DecodedEvent,
  record: EventRecord,
  control: BatchControl,
  span: Span,
  earlier: unknown,
) => Promise<Outcome>;

export interface RecordRetrierOptions<DB extends InboxDatabase> {
  readonly storage: Storage<DB>;
  readonly handlers: ReadonlyMap<string, Subscription<DB>>;
  readonly log: Logger;
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly pacer: PartitionPacer;
  readonly database: DatabaseWaiter;
  readonly writeDeadLetter: DeadLetterWriter;
  readonly telemetry: InboxTelemetry;
}

/**
 * A failure while the database is unreachable waits for it and costs no
 * attempt; any other is the handler's, retried with bounded exponential
 * back-off, and after maxAttempts (or at once for UnprocessableEventError)
 * the record is dead-lettered.
 */
export function createRecordRetrier<DB extends InboxDatabase>(
  options: RecordRetrierOptions<DB>,
): RecordRetrier {
  const { storage, handlers, log, maxAttempts, backoff, pacer, database, telemetry } = options;
  return async (event, record, control, span, earlier) => {
    const subscription = handlers.get(event.type)!;
    const eventLog = eventLogger(log, event);

    let attempts = 0;
    let carried = earlier === undefined ? undefined : { err: earlier };
    for (;;) {
      attempts++;
      try {
        if (carried !== undefined) {
          const { err } = carried;
          carried = undefined;
          throw err;
        }
        const outcome = await applyOnce(storage, event, subscription, eventLog);
        if (outcome === 'duplicate') eventLog.debug('duplicate delivery skipped');
        return outcome;
      } catch (err) {
        if (await database.isUnavailable(err)) {
          attempts--; // the handler never got a fair chance
          if (!(await database.waitUntilAvailable(err, control))) return 'interrupted';
          continue;
        }
        if (attempts >= maxAttempts || err instanceof UnprocessableEventError) {
          eventLog.error({ err, attempts }, 'handler failed for good; dead-lettering the event');
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
          return options.writeDeadLetter(record, attempts, errorMessage(err), control);
        }
        telemetry.retried(record);
        span.addEvent('retry', { attempt: attempts, 'exception.message': errorMessage(err) });
        const delay = backoffDelay(backoff, attempts);
        eventLog.warn({ err, attempt: attempts, retryInMs: delay }, 'handler failed; will retry');
        if (!(await pacer.pause(delay, control))) return 'interrupted';
      }
    }
  };
}
