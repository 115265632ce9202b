import { randomUUID } from 'node:crypto';
import { Code, type ConnectError } from '@connectrpc/connect';
import { sql } from '@switchboard/storage';
import {
  commitPost,
  createTestPublisher,
  createTestStore,
  errorCode,
  eventually,
  seedFollowers,
  startReplica,
  watch,
  type NotificationReplica,
  type TestPublisher,
  type TestStore,
} from './testing/notification-test-harness';

const POSTS_TOPIC = 'social.posts.v1';

// Two replicas of the service in one consumer group, sharing one database on
// the real PostgreSQL server. Each has its own connections, LISTEN
// connection, Kafka consumer and gRPC server: nothing is shared in memory.
describe('two replicas in one consumer group on one PostgreSQL database', () => {
  let store: TestStore;
  let a: NotificationReplica;
  let b: NotificationReplica;
  let publish: TestPublisher;

  beforeAll(async () => {
    store = await createTestStore();
    const groupId = `notification-service-test-${randomUUID()}`;
    a = await startReplica(store, { groupId, name: 'replica-a' });
    b = await startReplica(store, { groupId, name: 'replica-b' });
    publish = createTestPublisher();
    // Both members must own partitions before the test means anything.
    await eventually(
      async () => {
        const owned = [a, b].map((r) => r.consumer!.status().assignment[POSTS_TOPIC]?.length ?? 0);
        return owned[0]! > 0 && owned[1]! > 0 && owned[0]! + owned[1]! === 6 ? true : undefined;
      },
      60_000,
      'both replicas to own partitions of social.posts.v1',
    );
  });
  afterAll(async () => {
    await publish?.close();
    await a?.close();
    await b?.close();
    await store?.dispose();
  });

  it('delivers every notification to a watcher on either replica, whichever replica handled the post', async () => {
    const [fan, friend] = [randomUUID(), randomUUID()];
    // One followed author per partition, so both replicas handle some of the posts.
    const authorByPartition = new Map<number, string>();
    while (authorByPartition.size < 6) {
      const author = randomUUID();
      const ack = await publish.follow(fan, author);
      await publish.follow(friend, author);
      if (!authorByPartition.has(ack.partition)) authorByPartition.set(ack.partition, author);
    }
    const fanOnA = await watch(a, fan);
    const fanOnB = await watch(b, fan);
    const friendOnA = await watch(a, friend);

    const postIds: string[] = [];
    for (const author of authorByPartition.values()) {
      postIds.push((await publish.post(author, `from ${author.slice(0, 8)}`)).postId);
    }
    for (const watcher of [fanOnA, fanOnB, friendOnA]) await watcher.waitFor(6, 60_000);
    await new Promise((r) => setTimeout(r, 300)); // room for a wrongly duplicated push
    for (const watcher of [fanOnA, fanOnB, friendOnA]) {
      expect(watcher.received.map((r) => r.notification.postId).sort()).toEqual(
        [...postIds].sort(),
      );
    }

    // Each post was fanned out by exactly one replica, and each replica did some:
    // so every watcher received posts committed by the other replica.
    const byA = new Set(a.fannedOut());
    const byB = new Set(b.fannedOut());
    for (const postId of postIds) expect([byA.has(postId), byB.has(postId)]).toContainEqual(true);
    expect(postIds.filter((id) => byA.has(id) && byB.has(id))).toEqual([]);
    expect(postIds.filter((id) => byA.has(id)).length).toBeGreaterThan(0);
    expect(postIds.filter((id) => byB.has(id)).length).toBeGreaterThan(0);

    for (const watcher of [fanOnA, fanOnB, friendOnA]) await watcher.cancel();
  });

  it('catches a watcher up on what was committed while its LISTEN connection was down', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await seedFollowers(a.storage, author, [fan]);
    const watcher = await watch(b, fan);
    // Cut replica B's LISTEN connection (the server drops it, as in a failover)...
    const cut = await sql<{ pid: number }>`
      select pg_terminate_backend(pid) as pid from pg_stat_activity
      where datname = current_database()
        and application_name = 'switchboard-notification-listener'
        and query ilike 'listen%'`.execute(b.storage.db);
    expect(cut.rows.length).toBeGreaterThan(0);
    // ...and commit at once, before it can reconnect (its first retry waits >= 160 ms).
    const { postId } = await commitPost(a.storage, author, 'while B was deaf');
    const [got] = await watcher.waitFor(1, 15_000);
    expect(got?.notification.postId).toBe(postId);
    const line = b.logs.find(
      (l) => l.msg === 'notification listener reconnected; catching every watcher up',
    );
    expect(line).toBeDefined();
    await watcher.cancel();
  });

  it('ends watches with UNAVAILABLE when a replica shuts down; the client carries on at the other', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await publish.follow(fan, author);
    const onA = await watch(a, fan);
    await a.close();
    await eventually(async () => (onA.ended() ? true : undefined), 10_000, 'the watch on A to end');
    const err = onA.error() as ConnectError;
    expect([err.code, errorCode(err)]).toEqual([Code.Unavailable, 'WATCH_UNAVAILABLE']);

    // The client watches again at B, which now owns every partition.
    const onB = await watch(b, fan);
    const post = await publish.post(author, 'after the failover');
    const [got] = await onB.waitFor(1, 90_000);
    expect(got?.notification.postId).toBe(post.postId);
    await onB.cancel();
  });
});
