// Measurement 4: the asynchronous path, from a CreatePost answer to each
// follower's notification arriving on its WatchNotifications stream, under a
// steady post rate. Real auth, post and notification processes on
// PostgreSQL and the shared private broker; 10 authors, each followed by the
// same 10 followers, so every post fans out to 10 notifications. Posts are
// sent open-loop at a fixed rate (round-robin over the authors, so they
// spread over the topic's partitions); rates alternate round by round.
//
// The outbox relay lag (commit to publish) is read off the topic itself: a
// PostCreated record's Kafka timestamp (set by the relay's producer when it
// sends) minus its ce_time (set when the post service wrote the outbox row,
// inside the transaction that creates the post).
//
// The at-rest figure (one post at a time, no queueing) comes from
// tools/bench/src/post-notification-latency.ts, run as it is.
import { randomUUID } from 'node:crypto';
import { NotificationService, PostCreatedSchema, PostService } from '@switchboard/contracts';
import { cloudEventHeaders, createEventBus, type EventRecord } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import type { ServiceApp } from '@switchboard/testing';
import { retryUntilResolved, runTool, sleep, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import {
  createServiceStack,
  newCustomer,
  type BenchUser,
  type ServiceStack,
} from './service-stack';
import { alternate, percentile, summarize, type Summary } from './stats';

const TITLE = 'post → notification: CreatePost answer to WatchNotifications delivery';
const APPS: readonly ServiceApp[] = ['auth-service', 'post-service', 'notification-service'];
const AUTHORS = 10;
const FOLLOWERS = 10;
/** Posts in flight at once; beyond it the sender falls behind and says so (achieved rate). */
const MAX_IN_FLIGHT = 256;
/** After the last post, how long notifications still have to arrive before they count as lost. */
const DRAIN_MS = 30_000;

interface RateRound {
  readonly achievedPerSec: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly relayP99: number;
  readonly lost: number;
  readonly failedPosts: number;
}

interface Setup {
  readonly stack: ServiceStack;
  readonly authors: readonly BenchUser[];
  readonly followers: readonly BenchUser[];
}

async function prepare(stack: ServiceStack): Promise<Setup> {
  const authors: BenchUser[] = [];
  const followers: BenchUser[] = [];
  for (let i = 0; i < AUTHORS; i++) authors.push(await newCustomer(stack, `bench-author-${i}`));
  for (let i = 0; i < FOLLOWERS; i++)
    followers.push(await newCustomer(stack, `bench-follower-${i}`));
  const posts = stack.client(PostService, 'post-service');
  for (const follower of followers) {
    for (const author of authors) {
      // The post service learns users from UserRegistered events: retry until it has them.
      await retryUntilResolved(
        () => posts.followUser({ userId: author.userId }, follower.auth),
        60_000,
      );
    }
  }
  return { stack, authors, followers };
}

/** Delivery times per post id, from every follower's stream. */
class Deliveries {
  private readonly arrivals = new Map<string, number[]>();
  record(postId: string, at: number): void {
    const list = this.arrivals.get(postId);
    if (list === undefined) this.arrivals.set(postId, [at]);
    else list.push(at);
  }
  of(postId: string): readonly number[] {
    return this.arrivals.get(postId) ?? [];
  }
}

async function runRate(
  ctx: BenchContext,
  setup: Setup,
  deliveries: Deliveries,
  relayLags: number[],
  rate: number,
  durationMs: number,
): Promise<RateRound> {
  const posts = setup.stack.client(PostService, 'post-service');
  const total = Math.round((rate * durationMs) / 1000);
  const responded = new Map<string, number>();
  let failedPosts = 0;
  let inFlight = 0;
  relayLags.length = 0;
  const sends: Promise<void>[] = [];
  const t0 = performance.now();
  const hardStop = t0 + durationMs * 2;
  for (let i = 0; i < total && performance.now() < hardStop; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight >= MAX_IN_FLIGHT && performance.now() < hardStop) await sleep(1);
    inFlight++;
    const author = setup.authors[i % setup.authors.length]!;
    sends.push(
      posts
        .createPost({ text: `bench post ${i} at ${rate}/s` }, author.auth)
        .then(
          ({ post }) => {
            if (post !== undefined) responded.set(post.postId, performance.now());
          },
          () => {
            failedPosts++;
          },
        )
        .finally(() => inFlight--),
    );
  }
  await Promise.all(sends);
  const sentIn = (performance.now() - t0) / 1000;
  const expected = responded.size * setup.followers.length;
  const deadline = Date.now() + DRAIN_MS;
  const delivered = () => [...responded.keys()].reduce((n, id) => n + deliveries.of(id).length, 0);
  while (delivered() < expected && Date.now() < deadline) await sleep(100);

  const delays: number[] = [];
  for (const [postId, at] of responded) {
    for (const arrival of deliveries.of(postId)) delays.push(arrival - at);
  }
  const result: RateRound = {
    achievedPerSec: responded.size / sentIn,
    p50: percentile(delays, 50),
    p95: percentile(delays, 95),
    p99: percentile(delays, 99),
    relayP99: percentile(relayLags, 99),
    lost: expected - delays.length,
    failedPosts,
  };
  ctx.log(
    `  ${rate} posts/s: sent ${result.achievedPerSec.toFixed(0)}/s, delivery p50 ${result.p50.toFixed(1)} ` +
      `p99 ${result.p99.toFixed(1)} ms, relay p99 ${result.relayP99.toFixed(1)} ms` +
      (result.lost > 0 ? `, ${result.lost} not delivered` : ''),
  );
  return result;
}

/** tools/bench/src/post-notification-latency.ts: prints "… p50 X ms  p95 Y ms  p99 Z ms  max W ms". */
async function atRest(
  ctx: BenchContext,
): Promise<{ p50: number; p95: number; p99: number } | string> {
  const posts = ctx.quick ? 100 : 1000;
  try {
    const stdout = await runTool(
      ctx,
      process.execPath,
      [
        'tools/scripts/run-ts.mjs',
        'tools/bench/src/post-notification-latency.ts',
        '--posts',
        String(posts),
        '--warmup',
        ctx.quick ? '10' : '20',
      ],
      { timeoutMs: 900_000 },
    );
    const figure = (name: string) => Number(new RegExp(`${name} ([\\d.]+) ms`).exec(stdout)?.[1]);
    const result = { p50: figure('p50'), p95: figure('p95'), p99: figure('p99') };
    if (!Number.isFinite(result.p99)) return `unexpected output: ${stdout.trim()}`;
    return result;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? String(err);
  }
}

export async function measurePostNotification(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  const rates = ctx.quick ? [50, 200] : [50, 200, 500];
  const durationMs = ctx.quick ? 4_000 : 15_000;
  const stack = await createServiceStack(ctx, { apps: APPS, brokers });
  const bus = createEventBus({
    brokers,
    clientId: 'bench-relay-lag',
    source: '/switchboard/bench',
    logger: createLogger({ service: 'bench', level: 'warn' }),
  });
  const watchAbort = new AbortController();
  const watches: Promise<void>[] = [];
  try {
    ctx.log('  starting auth, post and notification on PostgreSQL');
    await stack.start();
    const setup = await prepare(stack);

    const relayLags: number[] = [];
    const relayProbe = bus.createConsumer({
      kind: 'record',
      groupId: `bench-relay-lag-${randomUUID()}`,
      topics: ['social.posts.v1'],
      fromBeginning: false,
      ephemeral: true,
      onRecord: (record: EventRecord) => {
        if (record.headers[cloudEventHeaders.type] !== PostCreatedSchema.typeName) return;
        const written = Date.parse(record.headers[cloudEventHeaders.time] ?? '');
        const sent = Number(record.timestamp);
        if (Number.isFinite(written) && Number.isFinite(sent)) relayLags.push(sent - written);
      },
    });
    await relayProbe.start();

    const deliveries = new Deliveries();
    const notifications = stack.client(NotificationService, 'notification-service');
    for (const follower of setup.followers) {
      watches.push(
        (async () => {
          const stream = notifications.watchNotifications(
            {},
            { ...follower.auth, signal: watchAbort.signal, timeoutMs: 6 * 3_600_000 },
          );
          for await (const { notification } of stream) {
            if (notification !== undefined)
              deliveries.record(notification.postId, performance.now());
          }
        })().catch(() => undefined),
      );
    }
    // Warm-up, which also proves the streams and the consumer are live before timing.
    await sleep(1_000);
    await runRate(ctx, setup, deliveries, relayLags, 20, 2_000);

    const labels = rates.map((r) => `${r}/s`);
    const byLabel = await alternate(ctx.rounds, labels, (label) =>
      runRate(ctx, setup, deliveries, relayLags, Number.parseInt(label, 10), durationMs),
    );
    await relayProbe.stop();

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const rate of rates) {
      const list = byLabel[`${rate}/s`] ?? [];
      const pick = (f: (r: RateRound) => number): Summary => summarize(list.map(f));
      const subject = `${rate} posts/s × ${FOLLOWERS} followers`;
      const p99 = pick((r) => r.p99);
      const relay = pick((r) => r.relayP99);
      rows.push(
        { subject, metric: 'posts/s achieved', unit: '', value: pick((r) => r.achievedPerSec) },
        { subject, metric: 'delivery p50', unit: 'ms', value: pick((r) => r.p50) },
        { subject, metric: 'delivery p95', unit: 'ms', value: pick((r) => r.p95) },
        {
          subject,
          metric: 'delivery p99',
          unit: 'ms',
          value: p99,
          ...(rate === 200 ? { goal: { text: '< 100 ms', met: p99.median < 100 } } : {}),
        },
        {
          subject,
          metric: 'relay lag p99',
          unit: 'ms',
          value: relay,
          goal: { text: '< 50 ms', met: relay.median < 50 },
        },
      );
      const lost = list.reduce((n, r) => n + r.lost, 0);
      const failed = list.reduce((n, r) => n + r.failedPosts, 0);
      if (lost > 0 || failed > 0) {
        notes.push(
          `${rate} posts/s: ${failed} CreatePost calls failed, ${lost} notifications not delivered within ${DRAIN_MS / 1000} s`,
        );
      }
    }

    ctx.log('  at-rest latency (tools/bench/src/post-notification-latency.ts)');
    const rest = await atRest(ctx);
    if (typeof rest === 'string') {
      notes.push(`at rest (post-notification-latency.ts): not measured: ${rest}`);
    } else {
      const one = (v: number): Summary => ({ median: v, min: v, max: v, samples: [v] });
      const subject = 'at rest, one post at a time';
      rows.push(
        { subject, metric: 'delivery p50', unit: 'ms', value: one(rest.p50) },
        { subject, metric: 'delivery p95', unit: 'ms', value: one(rest.p95) },
        { subject, metric: 'delivery p99', unit: 'ms', value: one(rest.p99) },
      );
    }
    return {
      title: TITLE,
      method:
        'Real auth-service, post-service and notification-service processes on fresh ' +
        `PostgreSQL databases and the private broker. ${AUTHORS} authors, each followed by the ` +
        `same ${FOLLOWERS} followers, who each hold a WatchNotifications stream. CreatePost is ` +
        `sent open-loop at a fixed rate for ${durationMs / 1000} s (at most ${MAX_IN_FLIGHT} in ` +
        'flight), round-robin over the authors, from the bench process; each delivery is timed ' +
        'from the CreatePost answer to its arrival on the follower stream. Rates alternate for ' +
        `${ctx.rounds} rounds after a warm-up; the table gives the median of the per-round ` +
        'percentiles. Relay lag: Kafka record timestamp (relay send) minus ce_time (outbox ' +
        'write) of each PostCreated, read by a separate consumer. The at-rest row is ' +
        'tools/bench/src/post-notification-latency.ts (one post at a time, one follower, its ' +
        'own broker), one run.',
      rows,
      notes,
    };
  } finally {
    watchAbort.abort();
    await Promise.all(watches);
    await bus.close();
    await stack.dispose();
  }
}
