// Measurement: webhook deliveries of the subscription service, from an
// OrderPlaced on Kafka to a loopback HTTP sink, on each work-queue backend
// (RabbitMQ, and SQS on ElasticMQ) with 1 and with 8 delivery workers.
//
// Everything is real: the subscription-service process built from its
// main.ts (auth-service beside it, for the admin token its API wants) on a
// fresh database of the bench's PostgreSQL server, the private Kafka broker,
// a RabbitMQ node and an ElasticMQ of this module's own, and a sink in this
// process that answers 204. The events are framed as the order service's
// outbox relay frames them, each with its creation time as ce-time.
//
// Per variant and round, the service is started on an emptied event log and a
// new consumer group, warmed up, then given a few events one at a time (the
// latency at rest) and a burst of N at once (deliveries per second, and the
// latency under that backlog). Baselines in the same rounds: the raw work
// queue (send, consume, ack through WorkQueue, no HTTP, no database) at the
// same concurrency, and plain POSTs to the same sink.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { toJsonString } from '@bufbuild/protobuf';
import { allTopics, OrderPlacedSchema, SubscriptionService } from '@switchboard/contracts';
import { createEventBus, type EventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createWorkQueue, type ReceivedJob } from '@switchboard/work-queue';
import {
  startElasticMqTestBroker,
  startRabbitTestBroker,
  type ElasticMqTestBroker,
  type RabbitTestBroker,
} from '@switchboard/work-queue/testing';
import pg from 'pg';
import { retryUntilResolved, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { startDeliverySink, type DeliverySink } from './delivery-sink';
import { deleteGroup, truncateTopics } from './kafka-admin';
import { benchOrderPlaced, encodeOrderPlaced } from './order-placed-event';
import { meterCpu } from './process-cpu';
import { createServiceStack, loginAdmin, type BenchUser, type ServiceStack } from './service-stack';
import { alternate, percentile, summarize } from './stats';

const TITLE = 'Webhook deliveries: OrderPlaced → subscription-service → work queue → sink';
/** The subscription service's consumer group (apps/subscription-service/src/subscriptions.ts). */
const SUBSCRIPTION_GROUP = 'subscription-service';
const ORDER_PLACED = OrderPlacedSchema.typeName;
/** ElasticMQ takes any credentials; set for the service and for this process's own SQS client. */
const ELASTICMQ_AWS = {
  AWS_ACCESS_KEY_ID: 'elasticmq',
  AWS_SECRET_ACCESS_KEY: 'elasticmq',
  AWS_REGION: 'elasticmq',
} as const;

export type Backend = 'RabbitMQ' | 'ElasticMQ';

export interface DeliveryVariant {
  readonly backend: Backend;
  readonly workers: 1 | 8;
}

export const DELIVERY_VARIANTS: readonly DeliveryVariant[] = [
  { backend: 'RabbitMQ', workers: 1 },
  { backend: 'RabbitMQ', workers: 8 },
  { backend: 'ElasticMQ', workers: 1 },
  { backend: 'ElasticMQ', workers: 8 },
];

export const variantName = (v: DeliveryVariant) =>
  `${v.backend}, ${v.workers} worker${v.workers === 1 ? '' : 's'}`;

/** The sizes of one run. */
export interface DeliverySizes {
  /** Events of the burst. */
  readonly burst: number;
  /** Events sent one at a time, each after the previous one arrived. */
  readonly atRest: number;
  /** Events delivered before anything is timed (group join, JIT, connections). */
  readonly warmup: number;
  /** How long a burst may take to arrive before the run is cut short. */
  readonly boundMs: number;
}

export const FULL_SIZES: DeliverySizes = {
  burst: 2_000,
  atRest: 50,
  warmup: 100,
  boundMs: 300_000,
};
export const QUICK_SIZES: DeliverySizes = { burst: 200, atRest: 10, warmup: 20, boundMs: 120_000 };

/** What one variant's run saw: the spec checks its correctness, the table its figures. */
export interface DeliveryRun {
  readonly variant: DeliveryVariant;
  /** Every event this run published (warm-up, at rest and burst), with the sink's arrival count. */
  readonly arrivals: ReadonlyMap<string, number>;
  /** The delivery ids the sink saw, one per arrival. */
  readonly deliveryIds: readonly string[];
  /** Burst events delivered within the bound, over the time from first publish to last arrival. */
  readonly deliveriesPerSec: number;
  /** Burst events the bound ended before they arrived. */
  readonly missing: number;
  /** Burst deliveries that took more than one attempt (a sink answer other than 204, a timeout). */
  readonly retried: number;
  /** ms from each burst event's creation to its (first) arrival. */
  readonly latencies: readonly number[];
  readonly atRestLatencies: readonly number[];
  /** At rest, p50 ms: creation → deliveries row. */
  readonly atRestToMatchedP50: number;
  /** At rest, p50 ms: deliveries row → marked sent. */
  readonly atRestMatchedToQueuedP50: number;
  /** Burst, p50 ms: creation → deliveries row (the inbox transaction's start). */
  readonly toMatchedP50: number;
  /** Burst, p50 ms: deliveries row → marked sent (after the broker's confirm of its batch). */
  readonly matchedToQueuedP50: number;
  /** Burst, p50 ms: deliveries row → arrival at the sink. */
  readonly matchedToSinkP50: number;
  /** CPU ms per burst delivery, by process role, 'bench' being this process (sink, producer). */
  readonly cpuPerDeliveryMs: ReadonlyMap<string, number>;
}

/** The raw work queue: N jobs sent and consumed with acks, nothing else. */
export interface RawQueueRun {
  readonly jobsPerSec: number;
  /** ms from send to the handler, one job at a time. */
  readonly atRestLatencies: readonly number[];
  /** Jobs handled per id: every one exactly once on a healthy broker. */
  readonly handled: ReadonlyMap<string, number>;
}

export interface DeliveryObserver {
  onRun?(run: DeliveryRun): void;
  onRawQueue?(variant: DeliveryVariant, run: RawQueueRun): void;
}

interface Rig {
  readonly sizes: DeliverySizes;
  readonly brokers: string[];
  readonly bus: EventBus;
  readonly sink: DeliverySink;
  readonly admin: BenchUser;
  readonly rabbit: RabbitTestBroker;
  readonly elastic: ElasticMqTestBroker;
  /** A delivery job's body as the dispatcher queues it, for the baselines. */
  readonly sampleJob: string;
}

/** A queue URL of its own on the variant's broker. */
function queueUrl(rig: Rig, backend: Backend, name: string): string {
  return backend === 'RabbitMQ'
    ? `${rig.rabbit.url}/?queue=${name}`
    : `${rig.elastic.endpoint}/000000000000/${name}`;
}

/** The AWS SDK reads its credentials from the process: ElasticMQ's, only while `fn` runs. */
async function withElasticMqCredentials<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(ELASTICMQ_AWS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, ELASTICMQ_AWS);
  try {
    return await fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const now = () => performance.now();
/** An epoch time from another process (PostgreSQL, the service) on this process's performance clock. */
const fromEpoch = (epochMs: number) => epochMs - performance.timeOrigin;

/** Publishes OrderPlaced events as the relay would, in batches; resolves with id → creation time. */
async function publishOrders(
  rig: Rig,
  count: number,
  producer: ReturnType<EventBus['createProducer']>,
): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  const batch = 500;
  for (let sent = 0; sent < count; sent += batch) {
    const records = [];
    for (let i = sent; i < Math.min(count, sent + batch); i++) {
      const id = randomUUID();
      const at = now();
      const time = new Date(performance.timeOrigin + at);
      records.push(encodeOrderPlaced(rig.bus.registry, benchOrderPlaced(i, time), { id, time }));
      created.set(id, at);
    }
    await producer.publishRaw(records);
  }
  return created;
}

interface StageRow {
  event_id: string;
  created_at: Date;
  sent_at: Date | null;
  attempts: number;
}

/** The deliveries rows of these events, from the service's own database. */
async function readStages(databaseUrl: string, eventIds: readonly string[]): Promise<StageRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<StageRow>(
      'select event_id, created_at, sent_at, attempts from deliveries where event_id = any($1)',
      [eventIds],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** One variant, one round: start, warm up, at rest, burst, stop. */
async function runDeliveries(
  rig: Rig,
  variant: DeliveryVariant,
  stack: ServiceStack,
  created: { subscribed: boolean },
): Promise<DeliveryRun> {
  const { sizes, sink } = rig;
  // An empty log and no committed offsets: the new process reads this run's events only.
  await truncateTopics(
    rig.brokers,
    allTopics.map((t) => t.name),
  );
  await deleteGroup(rig.brokers, SUBSCRIPTION_GROUP);
  await stack.start();
  const producer = rig.bus.createProducer();
  const published: string[] = [];
  try {
    if (!created.subscribed) {
      const client = stack.client(SubscriptionService, 'subscription-service');
      await retryUntilResolved(
        () =>
          client.createSubscription(
            { sinkUrl: sink.url, filter: { types: [ORDER_PLACED] } },
            rig.admin.auth,
          ),
        30_000,
      );
      created.subscribed = true;
    }

    const warm = await publishOrders(rig, sizes.warmup, producer);
    published.push(...warm.keys());
    const warmed = await sink.waitFor([...warm.keys()], 120_000);
    if (warmed < sizes.warmup) {
      throw new Error(
        `${variantName(variant)}: ${warmed} of ${sizes.warmup} warm-up events arrived in 120 s`,
      );
    }

    const atRestLatencies: number[] = [];
    const atRest = new Map<string, number>();
    for (let i = 0; i < sizes.atRest; i++) {
      const [id, at] = [...(await publishOrders(rig, 1, producer))][0]!;
      published.push(id);
      atRest.set(id, at);
      if ((await sink.waitFor([id], 30_000)) !== 1) {
        throw new Error(`${variantName(variant)}: an event sent at rest did not arrive in 30 s`);
      }
      atRestLatencies.push(sink.arrivalsOf(id)[0]!.at - at);
    }

    const meter = meterCpu();
    const benchCpu = process.cpuUsage();
    const burst = await publishOrders(rig, sizes.burst, producer);
    const ids = [...burst.keys()];
    published.push(...ids);
    const firstPublish = Math.min(...burst.values());
    const arrived = await sink.waitFor(ids, sizes.boundMs);
    const used = meter.stop();
    const benchUsed = process.cpuUsage(benchCpu);
    used.set('bench', (benchUsed.user + benchUsed.system) / 1000);

    const firstArrival = (id: string) => sink.arrivalsOf(id)[0]?.at;
    const latencies: number[] = [];
    let lastArrival = firstPublish;
    for (const [id, at] of burst) {
      const arrival = firstArrival(id);
      if (arrival === undefined) continue;
      latencies.push(arrival - at);
      lastArrival = Math.max(lastArrival, arrival);
    }
    const rows = await readStages(stack.databaseUrl('subscription-service'), [
      ...ids,
      ...atRest.keys(),
    ]);
    const stages = rows.filter((r) => burst.has(r.event_id));
    const toMatched: number[] = [];
    const matchedToQueued: number[] = [];
    const matchedToSink: number[] = [];
    for (const row of stages) {
      const matchedAt = fromEpoch(row.created_at.getTime());
      const arrival = firstArrival(row.event_id);
      toMatched.push(matchedAt - burst.get(row.event_id)!);
      if (row.sent_at !== null) matchedToQueued.push(fromEpoch(row.sent_at.getTime()) - matchedAt);
      if (arrival !== undefined) matchedToSink.push(arrival - matchedAt);
    }
    const atRestToMatched: number[] = [];
    const atRestMatchedToQueued: number[] = [];
    for (const row of rows.filter((r) => atRest.has(r.event_id))) {
      const matchedAt = fromEpoch(row.created_at.getTime());
      atRestToMatched.push(matchedAt - atRest.get(row.event_id)!);
      if (row.sent_at !== null) {
        atRestMatchedToQueued.push(fromEpoch(row.sent_at.getTime()) - matchedAt);
      }
    }

    const arrivals = new Map(published.map((id) => [id, sink.arrivalsOf(id).length]));
    const deliveryIds = published.flatMap((id) => sink.arrivalsOf(id).map((a) => a.deliveryId));
    sink.forget(published);
    const seconds = (lastArrival - firstPublish) / 1000;
    return {
      variant,
      arrivals,
      deliveryIds,
      deliveriesPerSec: seconds > 0 ? arrived / seconds : 0,
      missing: sizes.burst - arrived,
      retried: stages.filter((r) => r.attempts > 1).length,
      latencies,
      atRestLatencies,
      atRestToMatchedP50: percentile(atRestToMatched, 50),
      atRestMatchedToQueuedP50: percentile(atRestMatchedToQueued, 50),
      toMatchedP50: percentile(toMatched, 50),
      matchedToQueuedP50: percentile(matchedToQueued, 50),
      matchedToSinkP50: percentile(matchedToSink, 50),
      cpuPerDeliveryMs: new Map([...used].map(([role, ms]) => [role, ms / Math.max(1, arrived)])),
    };
  } finally {
    await producer.close();
    await stack.stop();
  }
}

/**
 * The raw work queue at the variant's concurrency: N jobs the size of a real
 * delivery job, sent in batches of 100 at once (as the dispatcher sends) while
 * a consumer takes them and acks each; timed from the first send to the last
 * handled. Then a few jobs one at a time, timed from send to handler.
 */
async function runRawQueue(rig: Rig, variant: DeliveryVariant): Promise<RawQueueRun> {
  const count = rig.sizes.burst;
  const body = Buffer.from(rig.sampleJob, 'utf8');
  const url = queueUrl(rig, variant.backend, `bench-raw-${randomUUID()}`);
  const logger = createLogger({ service: 'bench', level: 'error' });
  return withElasticMqCredentials(async () => {
    const queue = await createWorkQueue(url, { logger });
    const handled = new Map<string, number>();
    const waiters = new Map<string, (at: number) => void>();
    let lastAt = 0;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    try {
      const consumer = await queue.consume(
        async (job: ReceivedJob) => {
          handled.set(job.id, (handled.get(job.id) ?? 0) + 1);
          lastAt = now();
          waiters.get(job.id)?.(lastAt);
          if (handled.size >= count) done();
          return { kind: 'ack' };
        },
        { concurrency: variant.workers },
      );
      const firstSend = now();
      for (let sent = 0; sent < count; sent += 100) {
        const jobs = Array.from({ length: Math.min(100, count - sent) }, () => ({
          id: randomUUID(),
          body,
        }));
        await Promise.all(jobs.map((job) => queue.send(job)));
      }
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([
        finished,
        new Promise((resolve) => (bound = setTimeout(resolve, rig.sizes.boundMs))),
      ]);
      clearTimeout(bound);
      const seconds = (lastAt - firstSend) / 1000;
      const jobsPerSec = seconds > 0 ? handled.size / seconds : 0;
      // At rest, as the service's at-rest events go: one job at a time, each after the last was handled.
      const atRestLatencies: number[] = [];
      for (let i = 0; i < rig.sizes.atRest; i++) {
        const id = randomUUID();
        const handledAt = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`raw job ${id} not handled in 30 s`)),
            30_000,
          );
          waiters.set(id, (at) => {
            clearTimeout(timer);
            resolve(at);
          });
        });
        const t0 = now();
        await queue.send({ id, body });
        atRestLatencies.push((await handledAt) - t0);
        waiters.delete(id);
      }
      await consumer.stop();
      return { jobsPerSec, atRestLatencies, handled };
    } finally {
      await queue.close();
    }
  });
}

/** Plain POSTs of a delivery-sized body to the sink over kept-alive connections, `concurrency` at once. */
async function runRawPosts(rig: Rig, concurrency: number): Promise<number> {
  const count = rig.sizes.burst;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(rig.sink.url);
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 204
              ? resolve()
              : reject(new Error(`sink answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(rig.sampleJob);
    });
  try {
    let next = 0;
    const t0 = now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next += 1;
          await post();
        }
      }),
    );
    return (count * 1000) / (now() - t0);
  } finally {
    agent.destroy();
  }
}

/** A delivery job as the matcher writes it, for the baselines' body size. */
function sampleJob(): string {
  const order = benchOrderPlaced(1);
  return JSON.stringify({
    deliveryId: randomUUID(),
    subscriptionId: randomUUID(),
    event: {
      specversion: '1.0',
      id: randomUUID(),
      source: '/switchboard/order-service',
      type: ORDER_PLACED,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: JSON.parse(toJsonString(OrderPlacedSchema, order)) as unknown,
    },
  });
}

export async function measureSubscriptionDelivery(
  ctx: BenchContext,
  observer: DeliveryObserver = {},
): Promise<SectionResult> {
  const sizes = ctx.quick ? QUICK_SIZES : FULL_SIZES;
  const loadBefore = loadavg()[0]!;
  const brokers = await ctx.sharedBroker();
  ctx.log('  starting a RabbitMQ node and an ElasticMQ');
  const started = await Promise.allSettled([startRabbitTestBroker(), startElasticMqTestBroker()]);
  const [rabbitStart, elasticStart] = started;
  if (rabbitStart.status === 'rejected' || elasticStart.status === 'rejected') {
    // The one that did start must not outlive the failure.
    for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
    throw rabbitStart.status === 'rejected'
      ? rabbitStart.reason
      : (elasticStart as PromiseRejectedResult).reason;
  }
  const rabbit = rabbitStart.value;
  const elastic = elasticStart.value;
  const stopBrokers = once(async () => {
    await Promise.all([rabbit.stop(), elastic.stop()]);
  });
  ctx.onCleanup(stopBrokers);
  const sink = await startDeliverySink();
  ctx.onCleanup(() => sink.close());
  const bus = createEventBus({
    brokers,
    clientId: 'bench-orders',
    source: '/switchboard/bench',
    logger: createLogger({ service: 'bench', level: 'error' }),
  });
  const stacks: ServiceStack[] = [];
  try {
    await bus.ensureTopics(allTopics);
    const auth = await createServiceStack(ctx, { apps: ['auth-service'], brokers });
    stacks.push(auth);
    await auth.start();
    const rig: Rig = {
      sizes,
      brokers,
      bus,
      sink,
      admin: await loginAdmin(auth),
      rabbit,
      elastic,
      sampleJob: sampleJob(),
    };
    // One stack (database, queue, subscription) per variant, started for each of its rounds.
    const services = new Map<DeliveryVariant, { stack: ServiceStack; subscribed: boolean }>();
    for (const variant of DELIVERY_VARIANTS) {
      const stack = await createServiceStack(ctx, {
        apps: ['subscription-service'],
        brokers,
        env: {
          AUTH_ADDR: auth.address('auth-service'),
          QUEUE_URL: queueUrl(
            rig,
            variant.backend,
            `bench-deliveries-${variant.workers}-${randomUUID()}`,
          ),
          SUBSCRIPTION_WORKERS: String(variant.workers),
          SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
          ...ELASTICMQ_AWS,
        },
      });
      stacks.push(stack);
      services.set(variant, { stack, subscribed: false });
    }

    const keys = [...DELIVERY_VARIANTS.map(variantName), 'raw POST'];
    const results = await alternate(ctx.rounds, keys, async (key, round) => {
      const variant = DELIVERY_VARIANTS.find((v) => variantName(v) === key);
      if (variant === undefined) {
        const rates = [await runRawPosts(rig, 1), await runRawPosts(rig, 8)];
        ctx.log(
          `  round ${round + 1} raw POST: ${rates.map((r) => r.toFixed(0)).join(' / ')} posts/s at c=1 / c=8`,
        );
        return { rawPosts: rates };
      }
      const service = services.get(variant)!;
      const run = await runDeliveries(rig, variant, service.stack, service);
      observer.onRun?.(run);
      const raw = await runRawQueue(rig, variant);
      observer.onRawQueue?.(variant, raw);
      ctx.log(
        `  round ${round + 1} ${key}: ${run.deliveriesPerSec.toFixed(0)} deliveries/s, ` +
          `p99 ${percentile(run.latencies, 99).toFixed(0)} ms` +
          (run.missing > 0 ? ` (${run.missing} not delivered within the bound)` : '') +
          `; raw queue ${raw.jobsPerSec.toFixed(0)} jobs/s`,
      );
      return { run, raw };
    });

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const variant of DELIVERY_VARIANTS) {
      const name = variantName(variant);
      const runs = (results[name] ?? []).map((r) => r.run!);
      const raws = (results[name] ?? []).map((r) => r.raw!);
      const ms = (metric: string, values: number[]) =>
        rows.push({ subject: name, metric, unit: 'ms', value: summarize(values) });
      rows.push({
        subject: name,
        metric: 'deliveries/s',
        unit: '',
        value: summarize(runs.map((r) => r.deliveriesPerSec)),
        baseline: summarize(raws.map((r) => r.jobsPerSec)),
        baselineName: `raw ${variant.backend} queue, ${variant.workers} consumer${variant.workers === 1 ? '' : 's'}`,
      });
      ms(
        'burst: event → sink p50',
        runs.map((r) => percentile(r.latencies, 50)),
      );
      ms(
        'burst: event → sink p99',
        runs.map((r) => percentile(r.latencies, 99)),
      );
      ms(
        'burst: event → matched p50',
        runs.map((r) => r.toMatchedP50),
      );
      ms(
        'burst: matched → queued p50',
        runs.map((r) => r.matchedToQueuedP50),
      );
      ms(
        'burst: matched → sink p50',
        runs.map((r) => r.matchedToSinkP50),
      );
      rows.push({
        subject: name,
        metric: 'at rest: event → sink p50',
        unit: 'ms',
        value: summarize(runs.map((r) => percentile(r.atRestLatencies, 50))),
        baseline: summarize(raws.map((r) => percentile(r.atRestLatencies, 50))),
        baselineName: `raw ${variant.backend} queue at rest: send → handler`,
      });
      ms(
        'at rest: event → sink p99',
        runs.map((r) => percentile(r.atRestLatencies, 99)),
      );
      ms(
        'at rest: event → matched p50',
        runs.map((r) => r.atRestToMatchedP50),
      );
      ms(
        'at rest: matched → queued p50',
        runs.map((r) => r.atRestMatchedToQueuedP50),
      );
      const broker = variant.backend === 'RabbitMQ' ? 'rabbitmq' : 'elasticmq';
      const cpu = (role: string | undefined) =>
        summarize(
          runs.map((r) =>
            role === undefined
              ? [...r.cpuPerDeliveryMs.values()].reduce((a, b) => a + b, 0)
              : (r.cpuPerDeliveryMs.get(role) ?? 0),
          ),
        );
      for (const [label, role] of [
        ['all processes', undefined],
        ['subscription-service', 'subscription-service'],
        ['postgres', 'postgres'],
        [broker, broker],
        ['kafka', 'kafka'],
      ] as const) {
        rows.push({
          subject: name,
          metric: `CPU per delivery, ${label}`,
          unit: 'ms',
          value: cpu(role),
        });
      }
      const missing = runs.reduce((sum, r) => sum + r.missing, 0);
      if (missing > 0) {
        notes.push(
          `${name}: ${missing} burst events not delivered within ${sizes.boundMs / 1000} s; the rate is over those that were`,
        );
      }
      const duplicates = runs.reduce(
        (sum, r) => sum + [...r.arrivals.values()].filter((n) => n > 1).length,
        0,
      );
      if (duplicates > 0)
        notes.push(`${name}: ${duplicates} events reached the sink more than once`);
      const retried = runs.reduce((sum, r) => sum + r.retried, 0);
      if (retried > 0)
        notes.push(`${name}: ${retried} burst deliveries needed more than one attempt`);
    }
    for (const [i, c] of [1, 8].entries()) {
      rows.push({
        subject: `raw POST to the sink, c=${c}`,
        metric: 'posts/s',
        unit: '',
        value: summarize((results['raw POST'] ?? []).map((r) => r.rawPosts![i]!)),
      });
    }
    notes.push(
      `Load average (1 min) on the machine: ${loadBefore.toFixed(1)} when this section started, ` +
        `${loadavg()[0]!.toFixed(1)} when it ended (2 cores: above 2, other work was competing).`,
    );
    return {
      title: TITLE,
      method:
        `One subscription for ${ORDER_PLACED} (no conditions) on a real subscription-service ` +
        'process (auth-service beside it), a sink in the bench process on loopback that answers ' +
        '204, the private Kafka broker, and a RabbitMQ node and an ElasticMQ started for this ' +
        'section. Per variant (backend × SUBSCRIPTION_WORKERS) and round the service starts on an ' +
        `emptied log with a new consumer group, delivers ${sizes.warmup} warm-up events, then ` +
        `${sizes.atRest} events one at a time (at rest) and a burst of ` +
        `${sizes.burst.toLocaleString('en-US')} published at once in batches of 500 (framed as ` +
        'the order service relay frames them, ce-time = creation). deliveries/s: burst events ' +
        'over first publish → last arrival. event → sink: creation → arrival; matched: the ' +
        "deliveries row's created_at (start of the inbox transaction); queued: its sent_at (set " +
        'after the broker confirmed the batch, so it can fall after the arrival). Baselines in ' +
        'the same rounds: the raw queue (WorkQueue send in batches of 100 + consume + ack of ' +
        'jobs the size of a delivery job, at the same concurrency, no HTTP, no database; then ' +
        `${sizes.atRest} jobs one at a time, send → handler) and plain POSTs of that body to ` +
        'the same sink over kept-alive connections. CPU per delivery: ' +
        'user + system from /proc over the burst, per process role; all processes includes the ' +
        `bench process (sink, producer). ${ctx.rounds} alternating rounds.`,
      rows,
      notes,
    };
  } finally {
    for (const stack of stacks.reverse()) await stack.dispose();
    await bus.close();
    await sink.close();
    await stopBrokers();
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
