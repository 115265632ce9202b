import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { sql, type Kysely } from '@switchboard/storage';
import { errorMessage } from '../error-message';
import type { EventProducer } from '../event-bus';
import { messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import { contextFromStored, traceHeadersOf } from '../telemetry/trace-context';
import type { OutboxMetrics } from './create-outbox-metrics';
import type { OutboxTable } from './outbox-migrations';

/** Outbox rows to the broker, in id order, a batch at a time. */
export interface OutboxPublisher {
  /** Publishes the next batch; the number of rows published (0: none were waiting). */
  publishBatch(): Promise<number>;
  /** Marks what was published but not yet marked (before sleeping or stopping). */
  markPublished(): Promise<void>;
}

export interface OutboxPublisherOptions<DB> {
  readonly db: Kysely<DB>;
  readonly producer: EventProducer;
  readonly batchSize: number;
  readonly tracer: Tracer;
  readonly metrics: OutboxMetrics;
}

/** A row the batch query selects: not yet published, so without published_at. */
type OutboxRow = Omit<OutboxTable, 'published_at'>;

export function createOutboxPublisher<DB>(options: OutboxPublisherOptions<DB>): OutboxPublisher {
  const { db, producer, batchSize, tracer, metrics } = options;
  /**
   * Rows the broker acknowledged but not yet marked published. They are
   * marked in the same statement that fetches the next batch, which saves a
   * round trip per batch; the fetch leaves them out, since its snapshot does
   * not see its own update.
   */
  let unmarked: bigint[] = [];

  /** The next batch in id order; marks the previous batch published in the same round trip. */
  async function fetchBatch(): Promise<OutboxRow[]> {
    const marking = unmarked;
    const rows =
      marking.length === 0
        ? await sql<OutboxRow>`
            select id, event_id, topic, key, type, headers, payload, trace_context, created_at
            from outbox where published_at is null order by id limit ${batchSize}`.execute(db)
        : await sql<OutboxRow>`
            with marked as (
              update outbox set published_at = now() where id in (${sql.join(marking)})
            )
            select id, event_id, topic, key, type, headers, payload, trace_context, created_at
            from outbox where published_at is null and id not in (${sql.join(marking)})
            order by id limit ${batchSize}`.execute(db);
    // Only once the statement committed: a failed one marks them again next time.
    if (unmarked === marking) unmarked = [];
    return rows.rows;
  }

  return {
    async markPublished() {
      const marking = unmarked;
      if (marking.length === 0) return;
      await sql`update outbox set published_at = now() where id in (${sql.join(marking)})`.execute(
        db,
      );
      if (unmarked === marking) unmarked = [];
    },

    async publishBatch() {
      const rows = await fetchBatch();
      if (rows.length === 0) return 0;
      // A producer span per record, parented on the context stored with the
      // row: the trace goes on from the request that appended it, even when
      // this is another process, hours later.
      const spans: Span[] = rows.map((row) =>
        tracer.startSpan(
          `${row.topic} publish`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              [attr.system]: 'kafka',
              [attr.destination]: row.topic,
              [attr.operationType]: 'publish',
              [attr.operationName]: 'publish',
              [attr.messageId]: row.event_id,
              [attr.key]: row.key,
              [attr.eventType]: row.type,
            },
          },
          contextFromStored(row.trace_context),
        ),
      );
      try {
        await producer.publishRaw(
          rows.map((row, i) => ({
            topic: row.topic,
            key: row.key,
            // The stored CloudEvents headers win: trace headers never override them.
            headers: {
              ...traceHeadersOf(trace.setSpan(ROOT_CONTEXT, spans[i]!)),
              ...(JSON.parse(row.headers) as Record<string, string>),
            },
            value: row.payload,
          })),
        );
      } catch (err) {
        for (const span of spans) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
          span.end();
        }
        throw err;
      }
      const ackedAt = Date.now();
      rows.forEach((row, i) => {
        spans[i]!.end();
        metrics.sent(row, ackedAt);
      });
      unmarked = rows.map((row) => row.id);
      return rows.length;
    },
  };
}
