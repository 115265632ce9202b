import type { BatchObservableResult, Meter } from '@opentelemetry/api';
import { sql, type Kysely } from '@switchboard/storage';
import { messagingAttributes as attr } from '../telemetry/event-bus-telemetry';

/** What the relay measures: what it sent, how late, and what is still waiting. */
export interface OutboxMetrics {
  /** A row of `topic` and `type`, appended at `createdAt`, was acknowledged at `ackedAt`. */
  sent(row: { topic: string; type: string; created_at: Date }, ackedAt: number): void;
  /** Stops reporting the backlog. */
  close(): void;
}

export function createOutboxMetrics<DB>(db: Kysely<DB>, meter: Meter): OutboxMetrics {
  const sent = meter.createCounter('messaging.client.sent.messages', {
    description: 'Outbox events the broker acknowledged',
    unit: '{message}',
  });
  const publishLatency = meter.createHistogram('switchboard.outbox.publish.latency', {
    description:
      'From the append to the outbox (commit time) to the broker acknowledging the record',
    unit: 's',
  });
  const backlog = meter.createObservableGauge('switchboard.outbox.backlog', {
    description: 'Outbox rows not yet published',
    unit: '{row}',
  });
  const oldestAge = meter.createObservableGauge('switchboard.outbox.oldest_unpublished.age', {
    description: 'Age of the oldest unpublished outbox row; 0 when there is none',
    unit: 's',
  });
  // One query per collection (a scrape, an export), on the partial index of
  // unpublished rows; every replica reports it, whether or not it holds the lease.
  const observeBacklog = async (observer: BatchObservableResult) => {
    try {
      const result = await sql<{ n: bigint | number; oldest: Date | null }>`
        select count(*) as n, min(created_at) as oldest from outbox
        where published_at is null`.execute(db);
      const row = result.rows[0];
      observer.observe(backlog, Number(row?.n ?? 0));
      const age = row?.oldest ? Math.max(0, (Date.now() - row.oldest.getTime()) / 1000) : 0;
      observer.observe(oldestAge, age);
    } catch {
      // Database down: no observation this time, rather than a false zero.
    }
  };
  // From creation, not start: a backlog matters most while nothing relays it.
  meter.addBatchObservableCallback(observeBacklog, [backlog, oldestAge]);

  return {
    sent(row, ackedAt) {
      const attributes = { [attr.destination]: row.topic, [attr.eventType]: row.type };
      sent.add(1, attributes);
      publishLatency.record(
        Math.max(0, ackedAt - new Date(row.created_at).getTime()) / 1000,
        attributes,
      );
    },
    close() {
      meter.removeBatchObservableCallback(observeBacklog, [backlog, oldestAge]);
    },
  };
}
