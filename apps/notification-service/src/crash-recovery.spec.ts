import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import pg from 'pg';
import { PostCreatedSchema, UserFollowedSchema } from '@switchboard/contracts';
import { createEventBus, type EventBus, type EventProducer } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import {
  createTestDatabase,
  freePort,
  startLocalBroker,
  startServiceProcess,
  publishUntilAcked,
  streamEventsInBackground,
  waitFor,
  type PlannedEvent,
  type ServiceProcess,
  type TestBroker,
  type TestDatabase,
} from '@switchboard/testing';

// The real notification-service process (built from main.ts, configured only
// through its environment) against a broker of this file's own and a fresh
// database on the real PostgreSQL server. The broker is private because the
// service joins its production group, 'notification-service', and reads
// social.posts.v1 from the beginning: on the shared broker it would also
// consume every other test's posts and follows, and no count could be exact.

const POSTS = 1_000;
/** Followers per author; posts alternate between the authors. */
const FOLLOWERS_PER_AUTHOR = [3, 2] as const;
/** Slow enough that the service keeps pace, so it is killed with the stream in full flow. */
const POSTS_PER_SECOND = 150;
/** The crash (or the outage) happens once this share of the notifications exists. */
const INTERRUPT_AT = 0.25;

interface Scenario {
  /** Every event of the run, in publishing order: the follows first, then the posts. */
  follows: PlannedEvent[];
  posts: PlannedEvent[];
  /** authorId → its followers' ids. */
  followersOf: Map<string, string[]>;
  /** postId → authorId. */
  authorOf: Map<string, string>;
  expectedNotifications: number;
}

function planScenario(): Scenario {
  const followersOf = new Map<string, string[]>();
  const follows: PlannedEvent[] = [];
  for (const count of FOLLOWERS_PER_AUTHOR) {
    const author = randomUUID();
    const followers = Array.from({ length: count }, () => randomUUID());
    followersOf.set(author, followers);
    for (const follower of followers) {
      follows.push({
        id: randomUUID(),
        message: create(UserFollowedSchema, {
          followerId: follower,
          followeeId: author,
          followedAt: timestampFromDate(new Date()),
        }),
      });
    }
  }
  const authors = [...followersOf.keys()];
  const authorOf = new Map<string, string>();
  const posts: PlannedEvent[] = [];
  let expectedNotifications = 0;
  for (let i = 0; i < POSTS; i++) {
    const author = authors[i % authors.length]!;
    const postId = randomUUID();
    authorOf.set(postId, author);
    expectedNotifications += followersOf.get(author)!.length;
    posts.push({
      id: randomUUID(),
      message: create(PostCreatedSchema, {
        postId,
        authorId: author,
        text: `post ${i} of the crash-recovery stream`,
        createdAt: timestampFromDate(new Date()),
      }),
    });
  }
  return { follows, posts, followersOf, authorOf, expectedNotifications };
}

function newPublisher(brokers: readonly string[]): { bus: EventBus; producer: EventProducer } {
  const bus = createEventBus({
    brokers,
    clientId: 'notification-crash-recovery-publisher',
    source: '/switchboard/post-service',
    logger: createLogger({ service: 'publisher', level: 'silent' }),
    requestTimeoutMs: 5_000,
  });
  return { bus, producer: bus.createProducer() };
}

async function countOf(pool: pg.Pool, query: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(query);
  return Number(rows[0]!.n);
}

const countNotifications = (pool: pg.Pool) =>
  countOf(pool, 'select count(*) as n from notifications');
const countInbox = (pool: pg.Pool) => countOf(pool, 'select count(*) as n from inbox');

/**
 * Events the inbox applied beyond the group's committed offsets: a restarted
 * consumer gets them again and must skip them by their ids. Read after the
 * crash, when the dead member can commit nothing more.
 */
async function appliedButUncommitted(pool: pg.Pool, bus: EventBus): Promise<number> {
  const lag = await bus.consumerLag('notification-service', ['social.posts.v1']);
  const rows = await pool.query<{ partition: number; offset: string }>(
    `select partition, "offset" from inbox where topic = 'social.posts.v1'`,
  );
  return rows.rows.filter((row) => {
    const committed = lag.find((p) => p.partition === row.partition)?.committedOffset ?? null;
    return committed === null || BigInt(row.offset) >= BigInt(committed);
  }).length;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The whole effect of the scenario, read back from the database: nothing
 * missing, nothing twice, nothing else.
 */
async function expectExactlyOnce(pool: pg.Pool, scenario: Scenario): Promise<void> {
  const followCount = scenario.follows.length;
  // Wait for the last rows, then make sure no stray redelivery adds any more.
  await waitFor(
    async () =>
      (await countNotifications(pool)) >= scenario.expectedNotifications &&
      (await countInbox(pool)) >= POSTS + followCount,
    () =>
      `expected ${scenario.expectedNotifications} notifications and ${POSTS + followCount} inbox rows`,
    90_000,
  );
  await sleep(1_500);

  expect(await countNotifications(pool)).toBe(scenario.expectedNotifications);
  const distinct = await countOf(
    pool,
    'select count(*) as n from (select distinct recipient_id, post_id from notifications) d',
  );
  expect(distinct).toBe(scenario.expectedNotifications);

  // Each post notified exactly its author's followers, once each.
  const perPost = await pool.query<{ post_id: string; actor_id: string; recipients: string[] }>(
    `select post_id, actor_id, array_agg(recipient_id::text order by recipient_id) as recipients
       from notifications group by post_id, actor_id`,
  );
  expect(perPost.rows).toHaveLength(POSTS);
  for (const row of perPost.rows) {
    const author = scenario.authorOf.get(row.post_id);
    expect(author).toBeDefined();
    expect(row.actor_id).toBe(author);
    expect(row.recipients).toEqual([...scenario.followersOf.get(author!)!].sort());
  }

  // The inbox holds exactly the events published, each once.
  const inbox = await pool.query<{ event_id: string }>('select event_id from inbox');
  expect(inbox.rows).toHaveLength(POSTS + followCount);
  const published = [...scenario.follows, ...scenario.posts].map((e) => e.id).sort();
  expect(inbox.rows.map((r) => r.event_id).sort()).toEqual(published);
  expect(await countOf(pool, 'select count(*) as n from followers')).toBe(followCount);
}

describe('notification-service process: no notification lost or doubled', () => {
  let database: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let broker: TestBroker | undefined;
  let publisher: { bus: EventBus } | undefined;
  let service: ServiceProcess | undefined;
  let brokerDataDir: string | undefined;

  afterEach(async () => {
    await service?.kill();
    service = undefined;
    await publisher?.bus.close();
    publisher = undefined;
    await pool?.end();
    pool = undefined;
    await database?.drop();
    database = undefined;
    await broker?.stop();
    broker = undefined;
    if (brokerDataDir !== undefined) rmSync(brokerDataDir, { recursive: true, force: true });
    brokerDataDir = undefined;
  }, 60_000);

  async function startService(brokers: readonly string[], databaseUrl: string) {
    return startServiceProcess({
      app: 'notification-service',
      env: {
        NOTIFICATION_DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: brokers.join(','),
        // Never dialled (no test here makes an authenticated call), but it must
        // not point at npm start's auth service on the well-known port.
        AUTH_ADDR: `127.0.0.1:${await freePort()}`,
      },
    });
  }

  async function openDatabase(): Promise<pg.Pool> {
    database = await createTestDatabase('notification_crash');
    const opened = new pg.Pool({ connectionString: database.url, max: 2 });
    // Idle connections die when the database is dropped at the end.
    opened.on('error', () => undefined);
    pool = opened;
    return opened;
  }

  it('SIGKILLed while 1,000 posts stream in and restarted, it writes every notification exactly once', async () => {
    broker = await startLocalBroker();
    const db = await openDatabase();
    service = await startService(broker.brokers, database!.url);
    const scenario = planScenario();
    const { bus, producer } = newPublisher(broker.brokers);
    publisher = { bus };

    for (const follow of scenario.follows)
      await publishUntilAcked(producer, follow, Date.now() + 30_000);
    const stream = streamEventsInBackground(producer, scenario.posts, POSTS_PER_SECOND, 90_000);

    const threshold = Math.ceil(scenario.expectedNotifications * INTERRUPT_AT);
    await waitFor(
      async () => (await countNotifications(db)) >= threshold,
      () => `${threshold} notifications before the crash`,
      60_000,
    );
    const firstPid = service.pid;
    await service.kill();
    expect(isAlive(firstPid)).toBe(false);
    // Dead, so this count is final for the first process: the crash was mid-stream.
    const atCrash = await countNotifications(db);
    expect(atCrash).toBeGreaterThanOrEqual(threshold);
    expect(atCrash).toBeLessThan(scenario.expectedNotifications);
    const publishedAtCrash = stream.published();
    const redelivered = await appliedButUncommitted(db, bus);

    // Same database, same consumer group: it resumes from the last committed offsets.
    const restartedAt = Date.now();
    service = await startService(broker.brokers, database!.url);
    const servingAfterMs = Date.now() - restartedAt;
    await stream.done;
    await expectExactlyOnce(db, scenario);
    console.info(
      `crash after ${atCrash}/${scenario.expectedNotifications} notifications, ` +
        `${publishedAtCrash}/${POSTS} posts published, ` +
        `${redelivered} applied events not yet committed (redelivered and skipped); ` +
        `serving again after ${servingAfterMs} ms, all done ${Date.now() - restartedAt} ms after the restart`,
    );
  }, 170_000);

  it('keeps every post across a broker restart under load', async () => {
    brokerDataDir = mkdtempSync(join(tmpdir(), 'notification-outage-kafka-'));
    const ports = { port: await freePort(), controllerPort: await freePort() };
    broker = await startLocalBroker({ dataDir: brokerDataDir, ...ports });
    const brokers = broker.brokers;
    const db = await openDatabase();
    service = await startService(brokers, database!.url);
    const scenario = planScenario();
    const { bus, producer } = newPublisher(brokers);
    publisher = { bus };

    for (const follow of scenario.follows)
      await publishUntilAcked(producer, follow, Date.now() + 30_000);
    const stream = streamEventsInBackground(producer, scenario.posts, POSTS_PER_SECOND, 120_000);

    const threshold = Math.ceil(scenario.expectedNotifications * INTERRUPT_AT);
    await waitFor(
      async () => (await countNotifications(db)) >= threshold,
      () => `${threshold} notifications before the outage`,
      60_000,
    );
    await broker.stop();
    broker = undefined;
    const publishedAtOutage = stream.published();
    const atOutage = await countNotifications(db);
    // Down long enough for the publisher's and the service's requests to fail.
    await sleep(3_000);
    expect(stream.published()).toBeLessThan(POSTS);
    const restartedAt = Date.now();
    broker = await startLocalBroker({ dataDir: brokerDataDir, ...ports });
    const brokerBackAfterMs = Date.now() - restartedAt;

    await stream.done;
    await expectExactlyOnce(db, scenario);
    // The same process rode out the outage: nothing was restarted to recover.
    expect(isAlive(service.pid)).toBe(true);
    expect(atOutage).toBeLessThan(scenario.expectedNotifications);
    console.info(
      `broker stopped after ${atOutage}/${scenario.expectedNotifications} notifications, ` +
        `${publishedAtOutage}/${POSTS} posts published; broker back after ${brokerBackAfterMs} ms, ` +
        `all done ${Date.now() - restartedAt} ms after the restart`,
    );
  }, 170_000);
});
