import { sql } from '@switchboard/storage';
import { createWakeup, systemClock } from '@switchboard/timing';
import { eventBusTelemetry } from '../telemetry/event-bus-telemetry';
import { OUTBOX_CHANNEL } from './append-to-outbox';
import { createOutboxLease } from './create-outbox-lease';
import { createOutboxMetrics } from './create-outbox-metrics';
import { createOutboxPublisher } from './create-outbox-publisher';
import type { OutboxDatabase } from './outbox-migrations';
import type { OutboxRelay, OutboxRelayOptions } from './outbox-relay';

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
  const logger = options.logger.child({ component: 'outbox-relay' });
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const unlistenedPollIntervalMs = Math.min(
    pollIntervalMs,
    options.unlistenedPollIntervalMs ?? 1_000,
  );
  const leaseMs = options.leaseMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
  const clock = options.clock ?? systemClock;

  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let listening = false;
  /** clock.now() at the last cleanup; -Infinity so the first idle round cleans up. */
  let lastCleanup = -Infinity;
  const drainWaiters = new Set<() => void>();

  const { tracer, meter } = eventBusTelemetry();
  const metrics = createOutboxMetrics(db, meter);
  const lease = createOutboxLease(db, leaseMs);
  const publisher = createOutboxPublisher({
    db,
    producer: options.producer,
    batchSize: options.batchSize ?? 200,
    tracer,
    metrics,
  });
  const { sleep, poke } = createWakeup(clock);

  async function cleanup() {
    if (clock.now() - lastCleanup < 60_000) return;
    lastCleanup = clock.now();
    // Wall time, not the clock: the cutoff is compared with published_at, which PostgreSQL wrote.
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
        if (!(await lease.hold())) {
          // Another replica relays. What this one sent before losing the lease is
          // marked, so the new holder does not send it again.
          await publisher.markPublished();
          await settleDrainWaiters();
          await sleep(Math.min(currentPollMs(), leaseMs / 2));
          continue;
        }
        const published = await publisher.publishBatch();
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
    await publisher.markPublished().catch(() => undefined);
  }

  const currentPollMs = () => (listening ? pollIntervalMs : unlistenedPollIntervalMs);

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
      metrics.close();
      if (!running) return;
      running = false;
      poke();
      await loop;
      await unlisten?.().catch(() => undefined);
      await lease.release().catch(() => undefined);
    },

    drained(timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        // Real time, not the clock: this is the caller's deadline, and a relay
        // that never drains must fail the wait even when a test holds its clock still.
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
