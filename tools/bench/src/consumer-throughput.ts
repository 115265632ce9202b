// Measurement 5: how fast the reporting service drains a backlog of
// OrderPlaced events, against a bare kafkajs consumer on the same topic and
// Kafka's own ConsumerPerformance tool (the broker's limit on this machine).
// The bench's private broker; the topic is emptied first, so the backlog is
// exactly what this module produced.
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { topics } from '@switchboard/contracts';
import { createEventBus, type EventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { runTool, sleep, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { deleteGroup, silenceKafkajsTimerWarning, truncateTopics } from './kafka-admin';
import { kafkaVersion } from './machine-info';
import { createServiceStack } from './service-stack';
import { benchOrderPlaced, encodeOrderPlaced } from './order-placed-event';
import { meterCpu, type CpuMeter } from './process-cpu';
import { alternate, summarize } from './stats';

const TITLE = 'Consumer throughput: draining pre-produced OrderPlaced events';
const TOPIC = topics.salesOrders.name;
const REPORTING_GROUP = 'reporting-service';
const VARIANTS = ['reporting-service', 'raw kafkajs', 'ConsumerPerformance'] as const;
type Variant = (typeof VARIANTS)[number];

interface Drain {
  readonly eventsPerSec: number;
  /** False when the time bound ended the drain first; the rate is then over what was consumed. */
  readonly complete: boolean;
  /** CPU µs per event over the timed part, by process role (reporting drains only). */
  readonly cpuPerEventUs?: ReadonlyMap<string, number>;
}

/** OrderPlaced events shaped like the order service's: 1–3 lines, EUR, a pool of customers and products. */
async function produceBacklog(bus: EventBus, count: number): Promise<void> {
  const producer = bus.createProducer();
  const batch = 2_000;
  try {
    for (let sent = 0; sent < count; sent += batch) {
      const records = [];
      for (let i = sent; i < Math.min(count, sent + batch); i++) {
        records.push(encodeOrderPlaced(bus.registry, benchOrderPlaced(i)));
      }
      await producer.publishRaw(records);
    }
  } finally {
    await producer.close();
  }
}

/**
 * The reporting service, started on a fresh database and with no committed
 * offsets, drains the topic; its committed offsets (consumer lag) tell how far
 * it got. The rate runs from the first progress seen to lag 0, so start-up
 * time is left out.
 */
async function drainWithReporting(
  ctx: BenchContext,
  bus: EventBus,
  brokers: readonly string[],
  count: number,
  boundMs: number,
): Promise<Drain> {
  const stack = await createServiceStack(ctx, {
    apps: ['reporting-service'],
    brokers,
  });
  try {
    await stack.start();
    const deadline = Date.now() + boundMs;
    let first: { at: number; consumed: number; meter: CpuMeter } | undefined;
    let consumed = 0;
    let at = performance.now();
    while (Date.now() < deadline) {
      const lag = await bus.consumerLag(REPORTING_GROUP, [TOPIC]);
      at = performance.now();
      consumed = count - lag.reduce((sum, p) => sum + p.lag, 0);
      // CPU is metered over the same span as the rate: what the service and its database spend per event.
      if (first === undefined && consumed > 0) first = { at, consumed, meter: meterCpu() };
      if (consumed >= count) break;
      await sleep(200);
    }
    if (first === undefined || at === first.at) return { eventsPerSec: 0, complete: false };
    const used = first.meter.stop();
    const events = consumed - first.consumed;
    return {
      eventsPerSec: (events * 1000) / (at - first.at),
      complete: consumed >= count,
      cpuPerEventUs: new Map(
        ['reporting-service', 'postgres'].map((role) => [
          role,
          ((used.get(role) ?? 0) * 1000) / Math.max(1, events),
        ]),
      ),
    };
  } finally {
    await stack.dispose();
    await deleteGroup(brokers, REPORTING_GROUP);
  }
}

/**
 * kafkajs with its defaults and a handler that only counts: what the library
 * itself can do. Timed from joining the group to the last record, so the
 * join is left out as ConsumerPerformance leaves it out.
 */
async function drainWithKafkajs(brokers: string[], count: number, boundMs: number): Promise<Drain> {
  const groupId = `bench-raw-${randomUUID()}`;
  silenceKafkajsTimerWarning();
  const consumer = new Kafka({
    brokers,
    clientId: 'bench-raw-consumer',
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId });
  let consumed = 0;
  let joinedAt: number | undefined;
  let lastAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= performance.now()));
  await consumer.connect();
  let bound: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        lastAt = performance.now();
        if (++consumed >= count) done();
      },
    });
    await Promise.race([
      finished,
      new Promise((resolve) => (bound = setTimeout(resolve, boundMs))),
    ]);
  } finally {
    clearTimeout(bound);
    await consumer.disconnect();
    await deleteGroup(brokers, groupId);
  }
  const seconds = joinedAt === undefined ? 0 : (lastAt - joinedAt) / 1000;
  return { eventsPerSec: seconds > 0 ? consumed / seconds : 0, complete: consumed >= count };
}

/** Kafka's ConsumerPerformance; fetch.nMsg.sec excludes its group join, like the others exclude start-up. */
async function drainWithConsumerPerformance(
  ctx: BenchContext,
  brokers: string[],
  count: number,
  boundMs: number,
): Promise<Drain> {
  const cache = process.env.SWITCHBOARD_CACHE ?? join(homedir(), '.cache', 'switchboard');
  const libs = join(cache, `kafka-${kafkaVersion(ctx.workspaceRoot)}`, 'libs');
  const stdout = await runTool(
    ctx,
    'java',
    [
      '-cp',
      `${libs}/*`,
      `-Dlog4j2.configurationFile=${join(ctx.workspaceRoot, 'tools', 'kafka', 'log4j2.properties')}`,
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      brokers.join(','),
      '--topic',
      TOPIC,
      '--num-records',
      String(count),
      '--group',
      `bench-perf-${randomUUID()}`,
      '--timeout',
      '30000',
    ],
    { timeoutMs: boundMs + 60_000 },
  );
  // A CSV header line, then one line of figures.
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  const names = (lines[header] ?? '').split(',').map((s) => s.trim());
  const values = (lines[header + 1] ?? '').split(',').map((s) => s.trim());
  const field = (name: string) => Number(values[names.indexOf(name)]);
  const rate = field('fetch.nMsg.sec');
  if (!Number.isFinite(rate)) throw new Error(`unexpected ConsumerPerformance output:\n${stdout}`);
  return { eventsPerSec: rate, complete: field('data.consumed.in.nMsg') >= count };
}

export async function measureConsumerThroughput(ctx: BenchContext): Promise<SectionResult> {
  const count = ctx.quick ? 20_000 : 100_000;
  // The reporting service drains a few hundred events a second here: a quick
  // run times part of the backlog only, and says so.
  const reportingBoundMs = ctx.quick ? 15_000 : 600_000;
  const boundMs = 600_000;
  const brokers = await ctx.sharedBroker();
  await truncateTopics(brokers, [TOPIC]);
  const bus = createEventBus({
    brokers,
    clientId: 'bench-backlog',
    source: '/switchboard/bench',
    // Warnings here are the fresh broker's transient leader elections, retried by kafkajs.
    logger: createLogger({ service: 'bench', level: 'error' }),
  });
  try {
    await bus.ensureTopics();
    const t0 = performance.now();
    await produceBacklog(bus, count);
    ctx.log(
      `  produced ${count} OrderPlaced events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const results = await alternate(ctx.rounds, VARIANTS, async (variant: Variant, round) => {
      const drain =
        variant === 'reporting-service'
          ? await drainWithReporting(ctx, bus, brokers, count, reportingBoundMs)
          : variant === 'raw kafkajs'
            ? await drainWithKafkajs(brokers, count, boundMs)
            : await drainWithConsumerPerformance(ctx, brokers, count, boundMs);
      ctx.log(
        `  round ${round + 1} ${variant}: ${drain.eventsPerSec.toFixed(0)} events/s` +
          (drain.complete ? '' : ' (time bound reached before the end of the backlog)'),
      );
      return drain;
    });
    const rate = (variant: Variant) => summarize(results[variant].map((d) => d.eventsPerSec));
    const reporting = rate('reporting-service');
    const raw = rate('raw kafkajs');
    const rows: ResultRow[] = [
      {
        subject: 'reporting-service (PostgreSQL)',
        metric: 'events/s',
        unit: '',
        value: reporting,
        baseline: raw,
        baselineName: 'raw kafkajs',
        goal: { text: '≥ 0.50×', met: reporting.median >= 0.5 * raw.median },
      },
      {
        subject: 'raw kafkajs (eachMessage, count only)',
        metric: 'events/s',
        unit: '',
        value: raw,
        baseline: rate('ConsumerPerformance'),
        baselineName: 'ConsumerPerformance',
      },
    ];
    for (const role of ['reporting-service', 'postgres']) {
      rows.push({
        subject: 'reporting-service (PostgreSQL)',
        metric: `CPU per event, ${role}`,
        unit: 'µs',
        value: summarize(
          results['reporting-service'].map((d) => d.cpuPerEventUs?.get(role) ?? Number.NaN),
        ),
      });
    }
    const partial = VARIANTS.filter((v) => results[v].some((d) => !d.complete));
    return {
      title: TITLE,
      method:
        `${count.toLocaleString('en-US')} OrderPlaced events (1–3 lines, EUR) pre-produced as ` +
        `CloudEvents to ${TOPIC} (${topics.salesOrders.partitions} partitions) on a private ` +
        'broker, then drained from the beginning by each consumer in turn, alternating for ' +
        `${ctx.rounds} rounds: the reporting-service process on a fresh PostgreSQL database ` +
        '(rate from its first committed progress to consumer lag 0, polled every 200 ms), a ' +
        'kafkajs consumer with default settings whose handler only counts, and Kafka ' +
        'ConsumerPerformance (its fetch.nMsg.sec, which leaves out the group join). Each uses a ' +
        'new consumer group. CPU per event: user + system time from /proc of the reporting ' +
        'process and of every PostgreSQL process over the timed part of its drains.',
      rows,
      notes:
        partial.length > 0
          ? [
              `${partial.join(', ')}: the time bound ended some drains early; their rate is over what they consumed`,
            ]
          : [],
    };
  } finally {
    await bus.close();
    // Later modules start consumers from the beginning: leave them nothing of this backlog.
    await truncateTopics(brokers, [TOPIC]);
  }
}
