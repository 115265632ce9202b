// Measurement 6: how long the six services take to answer SERVING, and how
// much memory each holds idle and under load.
//
// Start-up is timed from the moment the processes are started (all six at
// once, as `nx run-many -t serve` does) to the last SERVING, on the embedded
// PGlite databases that `npm start` uses by default:
//   cold  a broker started from an empty data directory and fresh databases:
//         broker start-up + migrations + topic creation + seeding;
//   warm  the broker already up with its topics, the databases migrated and
//         seeded by an earlier start: a restart.
// RSS (VmRSS) is read per service a few seconds after a warm start (idle),
// then as the peak during a short mixed load: ghz PlaceOrder plus ghz
// CreatePost by an author with followers, so that inventory, auth, order,
// post and the two consumers (reporting, notification) all work.
import { randomBytes } from 'node:crypto';
import { allTopics, InventoryService, OrderService, PostService } from '@switchboard/contracts';
import { createEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { startLocalBroker, type ServiceApp } from '@switchboard/testing';
import { sleep, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz } from './ghz';
import { truncateTopics } from './kafka-admin';
import { rssMiB, sampleRss } from './process-rss';
import {
  ALL_APPS,
  backendName,
  createServiceStack,
  loginAdmin,
  newCustomer,
  type Backend,
  type BenchUser,
  type ServiceStack,
} from './service-stack';
import { alternate, summarize } from './stats';

const TITLE = 'Start-up and footprint: all six services';
/** As `npm start`: the demo customer and catalog are seeded on the first start. */
const STACK_ENV = { SEED_DEMO_DATA: 'true' } as const;
const IDLE_SETTLE_MS = 3_000;

type Variant = 'cold PGlite' | 'warm PGlite' | 'warm PostgreSQL';

interface RoundResult {
  /** NaN when the start failed. */
  readonly startMs: number;
  /** Why the start failed, first line. */
  readonly failure?: string;
  /** Broker start-up within startMs (cold only). */
  readonly brokerMs?: number;
  readonly idleRss?: Map<ServiceApp, number>;
  readonly loadRss?: Map<ServiceApp, number>;
}

/** Retries `fn` until it resolves or `timeoutMs` passes (for eventually consistent set-up steps). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

interface LoadPlan {
  readonly customer: BenchUser;
  readonly author: BenchUser;
  readonly sku: string;
}

/** What the mixed load needs: a product, a customer, and an author with 10 followers. */
async function prepareLoad(stack: ServiceStack): Promise<LoadPlan> {
  const admin = await loginAdmin(stack);
  const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  await stack.client(InventoryService, 'inventory-service').createProduct(
    {
      sku,
      name: 'Bench product',
      unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
      initialQuantity: 1_000_000,
    },
    admin.auth,
  );
  const customer = await newCustomer(stack, 'bench-footprint');
  const author = await newCustomer(stack, 'bench-author');
  const posts = stack.client(PostService, 'post-service');
  for (let i = 0; i < 10; i++) {
    const follower = await newCustomer(stack, `bench-follower-${i}`);
    // The post service learns users from UserRegistered events: retry until it has both.
    await eventually(() => posts.followUser({ userId: author.userId }, follower.auth), 60_000);
  }
  return { customer, author, sku };
}

async function mixedLoad(ctx: BenchContext, stack: ServiceStack, plan: LoadPlan, ms: number) {
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  await Promise.all([
    runGhz({
      ghz,
      protoset,
      call: `${OrderService.typeName}.${OrderService.method.placeOrder.name}`,
      address: stack.address('order-service'),
      data: { items: [{ sku: plan.sku, quantity: 1 }] },
      metadata: {
        authorization: `Bearer ${plan.customer.token}`,
        'idempotency-key': 'bench-{{newUUID}}',
      },
      concurrency: 8,
      maxCalls: 100_000,
      maxDurationMs: ms,
    }),
    runGhz({
      ghz,
      protoset,
      call: `${PostService.typeName}.${PostService.method.createPost.name}`,
      address: stack.address('post-service'),
      data: { text: 'Benchmark post: pulled a V60.' },
      metadata: { authorization: `Bearer ${plan.author.token}` },
      concurrency: 4,
      rps: 50,
      maxCalls: 50 * Math.ceil(ms / 1000),
      maxDurationMs: ms,
    }),
  ]);
}

export async function measureStartupFootprint(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  // A fresh system has empty topics: earlier modules' events must not become
  // a backlog for these services' consumers while they are timed and weighed.
  await truncateTopics(brokers, [
    ...allTopics.map((t) => t.name),
    ...allTopics.map((t) => `${t.name}.dlq`),
  ]);
  const loadMs = ctx.quick ? 4_000 : 10_000;
  const variants: Variant[] = ctx.quick
    ? ['warm PGlite', 'warm PostgreSQL']
    : ['cold PGlite', 'warm PGlite', 'warm PostgreSQL'];
  const warmBackends: Backend[] = ['pglite', 'postgres'];
  const stacks = new Map<Backend, ServiceStack>();
  const plans = new Map<Backend, LoadPlan>();
  try {
    // Created up front, as a deployment would: six services creating the same
    // topics at once on a fresh broker is the cold case, measured separately.
    const bus = createEventBus({
      brokers,
      clientId: 'bench-topics',
      source: '/switchboard/bench',
      logger: createLogger({ service: 'bench', level: 'error' }),
    });
    await bus.ensureTopics().finally(() => bus.close());
    // The first start of each warm stack migrates, seeds and builds the bundles: not timed.
    for (const backend of warmBackends) {
      ctx.log(`  first start of the six services on ${backendName[backend]} (not timed)`);
      const stack = await createServiceStack(ctx, {
        apps: ALL_APPS,
        backend,
        brokers,
        env: STACK_ENV,
      });
      stacks.set(backend, stack);
      await stack.start();
      plans.set(backend, await prepareLoad(stack));
      await stack.stop();
    }

    const results = await alternate(ctx.rounds, variants, async (variant, round) => {
      let result: RoundResult;
      if (variant === 'cold PGlite') {
        const t0 = performance.now();
        const broker = await startLocalBroker();
        const brokerMs = performance.now() - t0;
        const stack = await createServiceStack(ctx, {
          apps: ALL_APPS,
          backend: 'pglite',
          brokers: broker.brokers,
          env: STACK_ENV,
        });
        try {
          const t1 = performance.now();
          // A failed cold start is a finding, not a reason to stop measuring: keep the round.
          result = await stack.start().then(
            () => ({ startMs: brokerMs + (performance.now() - t1), brokerMs }),
            (err: unknown) => ({
              startMs: Number.NaN,
              brokerMs,
              failure: (err instanceof Error ? err.message : String(err)).split('\n')[0],
            }),
          );
        } finally {
          await stack.dispose();
          await broker.stop();
        }
      } else {
        const backend: Backend = variant === 'warm PGlite' ? 'pglite' : 'postgres';
        const stack = stacks.get(backend)!;
        const times = await stack.start();
        try {
          await sleep(IDLE_SETTLE_MS);
          const pids = ALL_APPS.map((app) => stack.process(app).pid);
          const idleRss = new Map(ALL_APPS.map((app, i) => [app, rssMiB(pids[i]!)]));
          const sampler = sampleRss(pids);
          await mixedLoad(ctx, stack, plans.get(backend)!, loadMs);
          const peaks = sampler.stop();
          const loadRss = new Map(ALL_APPS.map((app, i) => [app, peaks.get(pids[i]!)!]));
          result = { startMs: Math.max(...times.values()), idleRss, loadRss };
        } finally {
          await stack.stop();
        }
      }
      ctx.log(
        `  round ${round + 1} ${variant}: ` +
          (result.failure === undefined
            ? `all SERVING after ${(result.startMs / 1000).toFixed(1)} s`
            : `start failed: ${result.failure}`),
      );
      return result;
    });

    const rows: ResultRow[] = [];
    for (const variant of variants) {
      const list = results[variant];
      const start = summarize(list.map((r) => r.startMs / 1000));
      rows.push({
        subject: `start-up, ${variant}`,
        metric: 'to all SERVING',
        unit: 's',
        value: start,
        ...(variant.startsWith('warm') ? { goal: { text: '< 15 s', met: start.median < 15 } } : {}),
      });
      if (variant === 'cold PGlite') {
        rows.push({
          subject: `start-up, ${variant}`,
          metric: 'of which broker',
          unit: 's',
          value: summarize(list.map((r) => (r.brokerMs ?? Number.NaN) / 1000)),
        });
      }
    }
    for (const variant of variants.filter((v) => v.startsWith('warm'))) {
      const backend = variant.slice('warm '.length);
      for (const app of ALL_APPS) {
        const idle = summarize(results[variant].map((r) => r.idleRss?.get(app) ?? Number.NaN));
        rows.push(
          {
            subject: `${app}, ${backend}`,
            metric: 'RSS idle',
            unit: 'MiB',
            value: idle,
            // The goal's 120 MB is 114.4 MiB.
            goal: { text: '< 120 MB', met: idle.median < 120 / 1.048576 },
          },
          {
            subject: `${app}, ${backend}`,
            metric: 'RSS peak under load',
            unit: 'MiB',
            value: summarize(results[variant].map((r) => r.loadRss?.get(app) ?? Number.NaN)),
          },
        );
      }
    }
    return {
      title: TITLE,
      method:
        'The six services started at once with startServiceProcess (libs/testing), built ' +
        'from their main.ts, log level info, demo data seeded, on free loopback ports; timed ' +
        'from the start calls to the last grpc.health.v1 SERVING (polled every 100 ms). ' +
        'cold: a new broker from an empty data directory (its start-up included) and fresh ' +
        'PGlite databases; warm: the running broker and databases migrated and seeded by an ' +
        `earlier start. ${ctx.rounds} alternating rounds. RSS is VmRSS from /proc, in MiB (the 120 MB goal is 114.4 MiB): idle ` +
        `${IDLE_SETTLE_MS / 1000} s after a warm start, and the peak (sampled every 200 ms) ` +
        `during ${loadMs / 1000} s of ghz PlaceOrder at concurrency 8 plus ghz CreatePost at ` +
        '50/s by an author with 10 followers. Unlike `npm start`, no nx and no build are in the ' +
        'timing.',
      rows,
      notes: [
        ...(ctx.quick ? ['quick run: warm start-ups only (no cold broker)'] : []),
        ...variants.flatMap((variant) =>
          results[variant]
            .filter((r) => r.failure !== undefined)
            .map((r) => `${variant}: a start failed: ${r.failure}`),
        ),
      ],
    };
  } finally {
    for (const stack of stacks.values()) await stack.dispose();
  }
}
