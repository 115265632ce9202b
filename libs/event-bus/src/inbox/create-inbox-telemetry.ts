import type { Attributes, Meter, Tracer } from '@opentelemetry/api';
import { cloudEventHeaders } from '../cloudevents/cloud-event-headers';
import type { EventRecord } from '../event-record';
import { eventBusTelemetry, messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import type { Outcome } from './outcome';

/** The counts status() reports, since start. */
export interface InboxCounts {
  handled: number;
  duplicates: number;
  skipped: number;
  deadLettered: number;
  retried: number;
}

/**
 * One place where the consumer counts what it did: the status counts and
 * the OTel metrics go up together, so they cannot disagree.
 */
export interface InboxTelemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  readonly counts: Readonly<InboxCounts>;
  /** `n` records (of the same topic and type as `record`) came to `outcome`. */
  consumed(record: EventRecord, outcome: Outcome, n?: number): void;
  /** `n` handled events (like `record`) took `seconds` each. */
  processed(record: EventRecord, seconds: number, n?: number): void;
  /** A handler attempt failed and will be tried again. */
  retried(record: EventRecord): void;
  /** A dead letter was acknowledged (it is counted as consumed by its caller). */
  deadLettered(record: EventRecord): void;
  /** The attributes of a process span of `record`. */
  processAttributes(record: EventRecord): Attributes;
}

const COUNT_OF = {
  handled: 'handled',
  duplicate: 'duplicates',
  skipped: 'skipped',
  'dead-lettered': 'deadLettered',
} as const satisfies Record<Exclude<Outcome, 'interrupted'>, keyof InboxCounts>;

export function createInboxTelemetry(groupId: string): InboxTelemetry {
  const counts: InboxCounts = {
    handled: 0,
    duplicates: 0,
    skipped: 0,
    deadLettered: 0,
    retried: 0,
  };
  const { tracer, meter } = eventBusTelemetry();
  const consumed = meter.createCounter('messaging.client.consumed.messages', {
    description: 'Records this group took off the topic, by outcome',
    unit: '{message}',
  });
  const processDuration = meter.createHistogram('messaging.process.duration', {
    description: 'Handling one event, transaction included (a run: its time per event)',
    unit: 's',
  });
  const retries = meter.createCounter('switchboard.messaging.retries', {
    description: 'Handler attempts that failed and were tried again',
    unit: '{attempt}',
  });
  const deadLetters = meter.createCounter('switchboard.messaging.dead_lettered', {
    description: "Records written to their topic's .dlq twin",
    unit: '{message}',
  });

  function metricAttributes(record: EventRecord): Attributes {
    return {
      [attr.system]: 'kafka',
      [attr.destination]: record.topic,
      [attr.group]: groupId,
      [attr.eventType]: record.headers[cloudEventHeaders.type] ?? 'unknown',
    };
  }

  return {
    tracer,
    meter,
    counts,
    consumed(record, outcome, n = 1) {
      if (outcome === 'interrupted' || n === 0) return;
      counts[COUNT_OF[outcome]] += n;
      consumed.add(n, { ...metricAttributes(record), 'switchboard.outcome': outcome });
    },
    processed(record, seconds, n = 1) {
      const attributes = metricAttributes(record);
      for (let i = 0; i < n; i++) processDuration.record(seconds, attributes);
    },
    retried(record) {
      counts.retried++;
      retries.add(1, metricAttributes(record));
    },
    deadLettered(record) {
      deadLetters.add(1, metricAttributes(record));
    },
    processAttributes(record) {
      return {
        [attr.system]: 'kafka',
        [attr.destination]: record.topic,
        [attr.operationType]: 'process',
        [attr.operationName]: 'process',
        [attr.group]: groupId,
        [attr.partition]: String(record.partition),
      };
    },
  };
}
