import { randomUUID } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type BatchObservableResult,
  type Span,
} from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import { sql, type Storage } from '@switchboard/storage';
import { errorMessage } from '../error-message';
import { OUTBOX_CHANNEL } from './append-to-outbox';
import type { EventProducer } from '../event-bus';
import { eventBusTelemetry, messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import type { OutboxDatabase } from './outbox-migrations';
import { contextFromStored, traceHeadersOf } from '../telemetry/trace-context';

export interface OutboxRelayOptions<DB extends OutboxDatabase = OutboxDatabase> {
  /** Any service database whose schema includes the outbox tables. */
  storage: Storage<DB>;
  producer: EventProducer;
  logger: Logger;
  /** Rows published per round trip. */
  batchSize?: number;
  /**
   * The safety poll while LISTEN works. Every commit that appends a row
   * NOTIFYs, and a reconnect of the LISTEN connection wakes the relay too, so
   * this only bounds how late a row goes out when a notification is lost some
   * other way (it is the worst case, not the normal delay). Idle, the relay
   * costs one query per interval, which is why it is long.
   */
  pollIntervalMs?: number;
  /** The poll while LISTEN is not established (it failed): the only way rows are found then. */
  unlistenedPollIntervalMs?: number;
  /** How long a relay may go silent before another replica takes over. */
  leaseMs?: number;
  /** Wait after a failed publish before trying the same rows again. */
  retryDelayMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight, then stops. */
  close(): Promise<void>;
  /** Resolves once every row committed so far has been published (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
}

interface OutboxRow {
  id: bigint;
  event_id: string;
  topic: string;
  key: string;
  type: string;
  headers: string;
  payload: Uint8Array;
  trace_context: string | null;
  created_at: Date;
}

/**
 * Publishes outbox rows in commit (id) order and marks them published.
 *
 * One replica at a time holds a lease row and relays; the others wait. A
 * lease, rather than `FOR UPDATE SKIP LOCKED` batches, is what keeps events of
 * one key in order when two replicas run: with skip-locked, a second replica
 * could publish rows 101–200 while the first is still sending 1–100. Nothing
 * is held open while Kafka is called: a slow broker must not pin a pooled
 * connection and the outbox rows' locks.
 *
 * A crash between publish and mark re-publishes those rows with the same
 * ce_id; consumers deduplicate by it.
 */
export function createOutboxRelay<DB extends OutboxDatabase>(
  options: OutboxRelayOptions<DB>,
): OutboxRelay {
  // Only raw SQL runs against it, so the service's wider schema type is irrelevant here.
  const db = options.storage.db;
  const { producer } = options;
  const logger = options.logger.child({ component: 'outbox-relay' });
  const batchSize = options.batchSize ?? 200;
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const unlistenedPollIntervalMs = Math.min(
    pollIntervalMs,
    options.unlistenedPollIntervalMs ?? 1_000,
  );
  const leaseMs = options.leaseMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
  const holder = randomUUID();

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let pendingWake = false;
  let unlisten: (() => Promise<void>) | undefined;
  let listening = false;
  let lastCleanup = 0;
  /** Date.now() before the last successful lease write; -Infinity when not holding it. */
  let leaseTakenAt = -Infinity;
  /**
   * Rows the broker acknowledged but not yet marked published. They are
   * marked in the same statement that fetches the next batch, which saves a
   * round trip per batch; the fetch leaves them out, since its snapshot does
   * not see its own update.
   */
  let unmarked: bigint[] = [];
  const drainWaiters = new Set<() => void>();

  const { tracer, meter } = eventBusTelemetry();
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

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pendingWake) {
        pendingWake = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const poke = () => {
    if (wake) wake();
    else pendingWake = true;
  };

  /**
   * True when this relay may publish. The lease is written only when a third
   * of it has gone by, not per batch: a busy relay spends its round trips on
   * rows, and is still at least two thirds of a lease away from expiry when it
   * starts a publish. Local time only decides when to renew; expiry is
   * compared in database time.
   */
  async function holdLease(): Promise<boolean> {
    if (Date.now() - leaseTakenAt < leaseMs / 3) return true;
    const at = Date.now();
    const held = await writeLease();
    leaseTakenAt = held ? at : -Infinity;
    return held;
  }

  /** Takes or renews the lease row; true when this relay holds it. */
  async function writeLease(): Promise<boolean> {
    // Database time on both sides of the comparison: replicas' clocks may disagree.
    const result = await sql<{ holder: string }>`
      insert into outbox_lease (name, holder, expires_at)
      values ('relay', ${holder}, now() + ${leaseMs}::int * interval '1 millisecond')
      on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
      where outbox_lease.holder = ${holder} or outbox_lease.expires_at < now()
      returning holder`.execute(db);
    return result.rows.length === 1;
  }

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

  /** Marks what was published but not yet marked (before sleeping or stopping). */
  async function markPublished(): Promise<void> {
    const marking = unmarked;
    if (marking.length === 0) return;
    await sql`update outbox set published_at = now() where id in (${sql.join(marking)})`.execute(
      db,
    );
    if (unmarked === marking) unmarked = [];
  }

  async function publishBatch(): Promise<number> {
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
      const attributes = { [attr.destination]: row.topic, [attr.eventType]: row.type };
      sent.add(1, attributes);
      publishLatency.record(
        Math.max(0, ackedAt - new Date(row.created_at).getTime()) / 1000,
        attributes,
      );
    });
    unmarked = rows.map((row) => row.id);
    return rows.length;
  }

  async function cleanup() {
    if (Date.now() - lastCleanup < 60_000) return;
    lastCleanup = Date.now();
    const before = new Date(Date.now() - retentionMs);
    await sql`delete from outbox where published_at < ${before}`.execute(db);
  }

  async function settleDrainWaiters() {
    if (drainWaiters.size === 0) return;
    const left = await sql<{ n: bigint }>`
      select count(*) as n from outbox where published_at is null`.execute(db);
    if (left.rows[0]?.n === 0n) {
      for (const resolve of drainWaiters) resolve();
      drainWaiters.clear();
    }
  }

  async function run() {
    let failing = false;
    while (running) {
      try {
        if (!(await holdLease())) {
          // Another replica relays. What this one sent before losing the lease is
          // marked, so the new holder does not send it again.
          await markPublished();
          await settleDrainWaiters();
          await sleep(Math.min(currentPollMs(), leaseMs / 2));
          continue;
        }
        const published = await publishBatch();
        if (failing) logger.info('outbox relay recovered');
        failing = false;
        if (published > 0) {
          logger.debug({ published }, 'outbox rows published');
          continue; // more may be waiting: go again without sleeping
        }
        await cleanup();
        await settleDrainWaiters();
        await sleep(currentPollMs());
      } catch (err) {
        if (!running) break;
        // Rows stay unpublished and go out, in order, once Kafka or the database is back.
        if (!failing) logger.warn({ err }, 'outbox relay failed; will retry');
        failing = true;
        await sleep(retryDelayMs);
      }
    }
    // Stopping: what went out is marked now, so a restart does not send it again.
    await markPublished().catch(() => undefined);
  }

  const currentPollMs = () => (listening ? pollIntervalMs : unlistenedPollIntervalMs);

  // From creation, not start: a backlog matters most while nothing relays it.
  meter.addBatchObservableCallback(observeBacklog, [backlog, oldestAge]);

  return {
    start() {
      if (running) return;
      running = true;
      void options.storage
        .listen(OUTBOX_CHANNEL, poke, { onReconnect: poke })
        .then((stop) => {
          if (running) {
            unlisten = stop;
            listening = true;
          } else void stop();
        })
        .catch((err: unknown) =>
          logger.warn({ err }, 'cannot LISTEN for outbox commits; relying on polling'),
        );
      loop = run();
    },

    async close() {
      meter.removeBatchObservableCallback(observeBacklog, [backlog, oldestAge]);
      if (!running) return;
      running = false;
      poke();
      await loop;
      await unlisten?.().catch(() => undefined);
      // Hand the lease over at once rather than making a replica wait it out.
      await sql`delete from outbox_lease where name = 'relay' and holder = ${holder}`
        .execute(db)
        .catch(() => undefined);
    },

    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          drainWaiters.delete(done);
          reject(new Error(`outbox not drained within ${timeoutMs} ms`));
        }, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        drainWaiters.add(done);
        poke();
      });
    },
  };
}
