import { findWorkspaceRoot, startLocalBroker, testDatabaseUrl } from '@switchboard/testing';
import type { BenchContext } from './bench-context';
import {
  DELIVERY_VARIANTS,
  QUICK_SIZES,
  measureSubscriptionDelivery,
  variantName,
  type DeliveryRun,
  type DeliveryVariant,
  type RawQueueRun,
} from './subscription-delivery';

// The delivery benchmark's quick mode, for real: a private Kafka broker, a
// RabbitMQ node and an ElasticMQ, the subscription and auth services as
// processes, a loopback sink. What it checks is that the figures are made of
// complete, correct runs (every event delivered once, under a delivery id of
// its own) and that the table has its shape; never how fast anything was.
describe('measureSubscriptionDelivery, quick', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });

  it('delivers every event once on each backend and worker count, and fills the table', async () => {
    const unavailable = () => Promise.reject(new Error('not used by this module'));
    let broker: Promise<string[]> | undefined;
    const ctx: BenchContext = {
      quick: true,
      rounds: 1,
      workspaceRoot: findWorkspaceRoot(__dirname),
      bundleDir: __dirname,
      log: () => undefined,
      onCleanup: (fn) => cleanups.push(fn),
      ghz: unavailable,
      protoset: unavailable,
      databaseServer: testDatabaseUrl(),
      // Its own broker: the module empties every topic, which a shared one must not suffer.
      sharedBroker: () =>
        (broker ??= startLocalBroker().then((started) => {
          cleanups.push(() => started.stop());
          return started.brokers;
        })),
    };
    const runs: DeliveryRun[] = [];
    const raws: [DeliveryVariant, RawQueueRun][] = [];
    const section = await measureSubscriptionDelivery(ctx, {
      onRun: (run) => runs.push(run),
      onRawQueue: (variant, run) => raws.push([variant, run]),
    });

    expect(runs.map((r) => variantName(r.variant))).toEqual(DELIVERY_VARIANTS.map(variantName));
    const published = QUICK_SIZES.warmup + QUICK_SIZES.atRest + QUICK_SIZES.burst;
    for (const run of runs) {
      const name = variantName(run.variant);
      // Every event it published reached the sink exactly once, each under its own delivery id.
      expect({ name, events: run.arrivals.size }).toEqual({ name, events: published });
      const counts = [...run.arrivals.values()];
      expect({ name, notOnce: counts.filter((n) => n !== 1).length }).toEqual({ name, notOnce: 0 });
      expect(new Set(run.deliveryIds).size).toBe(published);
      expect(run.missing).toBe(0);
      expect(run.retried).toBe(0);
      expect(run.latencies).toHaveLength(QUICK_SIZES.burst);
      expect(run.atRestLatencies).toHaveLength(QUICK_SIZES.atRest);
      expect(run.deliveriesPerSec).toBeGreaterThan(0);
      expect(run.cpuPerDeliveryMs.get('subscription-service')).toBeGreaterThan(0);
    }
    // The raw queue baseline handled each of its jobs once too.
    expect(raws.map(([v]) => variantName(v))).toEqual(DELIVERY_VARIANTS.map(variantName));
    for (const [, raw] of raws) {
      expect(raw.handled.size).toBe(QUICK_SIZES.burst + QUICK_SIZES.atRest);
      expect(raw.atRestLatencies).toHaveLength(QUICK_SIZES.atRest);
      expect([...raw.handled.values()].every((n) => n === 1)).toBe(true);
    }

    // One block of rows per variant, the rate against its raw queue, then the raw POST rows.
    for (const variant of DELIVERY_VARIANTS) {
      const rows = section.rows.filter((r) => r.subject === variantName(variant));
      expect(rows.map((r) => r.metric)).toEqual([
        'deliveries/s',
        'burst: event → sink p50',
        'burst: event → sink p99',
        'burst: event → matched p50',
        'burst: matched → queued p50',
        'burst: matched → sink p50',
        'at rest: event → sink p50',
        'at rest: event → sink p99',
        'at rest: event → matched p50',
        'at rest: matched → queued p50',
        'CPU per delivery, all processes',
        'CPU per delivery, subscription-service',
        'CPU per delivery, postgres',
        `CPU per delivery, ${variant.backend.toLowerCase()}`,
        'CPU per delivery, kafka',
      ]);
      expect(rows[0]!.baselineName).toBe(
        `raw ${variant.backend} queue, ${variant.workers} consumer${variant.workers === 1 ? '' : 's'}`,
      );
      for (const row of rows) {
        expect({ metric: row.metric, finite: Number.isFinite(row.value.median) }).toEqual({
          metric: row.metric,
          finite: true,
        });
      }
    }
    expect(section.rows.slice(-2).map((r) => r.subject)).toEqual([
      'raw POST to the sink, c=1',
      'raw POST to the sink, c=8',
    ]);
    // Nothing went missing, twice or through a retry: the only note is the machine's load.
    expect(section.notes).toHaveLength(1);
    expect(section.notes[0]).toMatch(/^Load average/);
  }, 900_000);
});
