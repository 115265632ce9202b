import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import type { DecodedEvent } from '../cloudevents/decode-event';
import { decodeTrustedEvent } from '../cloudevents/decode-trusted-event';
import { isEventDecodeError } from '../cloudevents/event-decode-error';
import type { EventRegistry } from '../create-event-registry';
import { errorMessage } from '../error-message';
import type { BatchControl } from '../event-bus';
import type { EventRecord } from '../event-record';
import { messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import { contextFromHeaders } from '../telemetry/trace-context';
import { concernsGroup } from './concerns-group';
import type { DeadLetterWriter } from './create-dead-letter-writer';
import type { InboxTelemetry } from './create-inbox-telemetry';
import type { RecordRetrier } from './create-record-retrier';
import type { Outcome } from './outcome';

/**
 * One record in a transaction of its own: skipped when it is not this
 * group's, dead-lettered at once when it cannot be trusted to decode, else
 * attempted until settled inside its process span. `earlier`: the error of
 * an attempt already made (in a run), counted as the first.
 */
export type RecordHandler = (
  record: EventRecord,
  control: BatchControl,
  earlier?: unknown,
) => Promise<Outcome>;

export interface RecordHandlerOptions {
  readonly groupId: string;
  readonly handledTypes: ReadonlyMap<string, unknown>;
  readonly registry: EventRegistry;
  readonly log: Logger;
  readonly telemetry: InboxTelemetry;
  readonly writeDeadLetter: DeadLetterWriter;
  readonly attemptUntilSettled: RecordRetrier;
}

export function createRecordHandler(options: RecordHandlerOptions): RecordHandler {
  const { groupId, handledTypes, registry, log, telemetry } = options;
  return async (record, control, earlier) => {
    if (!concernsGroup(record, groupId, handledTypes)) {
      telemetry.consumed(record, 'skipped');
      return 'skipped';
    }
    let event: DecodedEvent;
    try {
      event = decodeTrustedEvent(record, registry);
    } catch (err) {
      if (!isEventDecodeError(err)) throw err;
      log.error(
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason: err.reason,
        },
        `dead-lettering a record no handler may see: ${err.message}`,
      );
      const outcome = await options.writeDeadLetter(
        record,
        0,
        `${err.reason}: ${err.message}`,
        control,
      );
      telemetry.consumed(record, outcome);
      return outcome;
    }
    // The process span: a child of the producer span whose context the
    // record carries (kept by dead letters and redrives), active while the
    // handler runs so its queries and log lines belong to that trace.
    const span = telemetry.tracer.startSpan(
      `${record.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...telemetry.processAttributes(record),
          [attr.messageId]: event.id,
          [attr.offset]: record.offset,
          [attr.eventType]: event.type,
          ...(record.key === null ? {} : { [attr.key]: record.key }),
        },
      },
      contextFromHeaders(record.headers),
    );
    const started = performance.now();
    let outcome: Outcome = 'interrupted';
    try {
      outcome = await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
        options.attemptUntilSettled(event, record, control, span, earlier),
      );
      return outcome;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.setAttribute('switchboard.outcome', outcome);
      span.end();
      telemetry.consumed(record, outcome);
      if (outcome === 'handled') {
        telemetry.processed(record, (performance.now() - started) / 1000);
      }
    }
  };
}
