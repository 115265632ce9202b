import { randomUUID } from 'node:crypto';
import { Code, type ConnectError } from '@connectrpc/connect';
import {
  anonymous,
  as,
  commitPost,
  countNotifications,
  createTestPublisher,
  createTestStore,
  errorCode,
  eventually,
  failure,
  handled,
  seedFollowers,
  shareReplica,
  startReplica,
  watch,
  type NotificationReplica,
  type TestPublisher,
  type TestStore,
} from './testing/notification-test-harness';

describe('notifications from Kafka events', () => {
  let store: TestStore;
  let replica: NotificationReplica;
  let publish: TestPublisher;

  beforeAll(async () => {
    store = await createTestStore();
    replica = await startReplica(store);
    publish = createTestPublisher();
  });
  afterAll(async () => {
    await publish?.close();
    await replica?.close();
    await store?.dispose();
  });

  const list = (userId: string) =>
    replica.client.listNotifications({ pageSize: 100 }, as(userId)).then((r) => r.notifications);

  it('notifies a follower of a post, and nobody else', async () => {
    const [author, fan, stranger] = [randomUUID(), randomUUID(), randomUUID()];
    await publish.follow(fan, author);
    const text = `A post that is longer than a preview. ${'x'.repeat(200)}`;
    const post = await publish.post(author, text);
    await handled(replica, post.id);

    const [notification, ...more] = await list(fan);
    expect(more).toEqual([]);
    expect(notification).toMatchObject({
      postId: post.postId,
      actorId: author,
      preview: `${text.slice(0, 139)}…`,
      read: false,
    });
    expect(notification?.createdAt).toBeDefined();
    expect(await list(stranger)).toEqual([]);
    expect(await list(author)).toEqual([]);
  });

  it('does not notify someone who unfollowed before the post', async () => {
    const [author, stayed, left] = [randomUUID(), randomUUID(), randomUUID()];
    await publish.follow(stayed, author);
    await publish.follow(left, author);
    await publish.unfollow(left, author);
    const post = await publish.post(author, 'after the unfollow');
    await handled(replica, post.id);
    expect((await list(stayed)).map((n) => n.postId)).toEqual([post.postId]);
    expect(await list(left)).toEqual([]);
  });

  it('makes one notification of the same PostCreated delivered twice (same ce_id)', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await publish.follow(fan, author);
    const eventId = randomUUID();
    const postId = randomUUID();
    const duplicatesBefore = replica.consumer!.status().duplicates;
    await publish.post(author, 'said twice', { eventId, postId });
    await publish.post(author, 'said twice', { eventId, postId });
    await handled(replica, eventId);
    // Wait for the second delivery too: it must be recognised and skipped.
    const deadline = Date.now() + 30_000;
    while (replica.consumer!.status().duplicates === duplicatesBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(replica.consumer!.status().duplicates).toBeGreaterThan(duplicatesBefore);
    expect(await countNotifications(replica.storage, { postId })).toBe(1);
    expect(await list(fan)).toHaveLength(1);

    // Re-announced under a new event id it is still the same post: still one.
    const again = await publish.post(author, 'said twice', { postId });
    await handled(replica, again.id);
    expect(await countNotifications(replica.storage, { postId })).toBe(1);
  });

  it('dead-letters posts and follows the post API would refuse, and notifies nobody of them', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await publish.follow(fan, author);
    const deadBefore = replica.consumer!.status().deadLettered;
    const refused = [
      await publish.post(author, 'x'.repeat(2_001)),
      await publish.post(author, ' \n '),
      await publish.post(author, 'bell\u0007'),
      await publish.follow(author, author),
      await publish.unfollow(fan, fan),
    ];
    // At the limit, with a newline and a tab, is what the API accepts.
    const fine = await publish.post(author, `${'y'.repeat(1_998)}\n\t`);
    await handled(replica, fine.id);
    await eventually(
      async () =>
        replica.consumer!.status().deadLettered === deadBefore + refused.length || undefined,
      30_000,
      'the refused events to be dead-lettered',
    );
    const inbox = await replica.storage.db
      .selectFrom('inbox')
      .select('event_id')
      .where(
        'event_id',
        'in',
        refused.map((e) => e.id),
      )
      .execute();
    expect(inbox).toEqual([]);
    expect((await list(fan)).map((n) => n.postId)).toEqual([fine.postId]);
    const selfFollows = await replica.storage.db
      .selectFrom('followers')
      .select('follower_id')
      .where('followee_id', '=', author)
      .where('follower_id', '=', author)
      .execute();
    expect(selfFollows).toEqual([]);
  });

  it('fans a post out to 3,000 followers completely, in batches of 500', async () => {
    const author = randomUUID();
    const followers = Array.from({ length: 3_000 }, () => randomUUID());
    await seedFollowers(replica.storage, author, followers);
    const post = await publish.post(author, 'to the crowd');
    await handled(replica, post.id, 120_000);
    expect(await countNotifications(replica.storage, { postId: post.postId })).toBe(3_000);
    const line = replica.logs.find((l) => l.msg === 'post fanned out' && l.postId === post.postId);
    expect(line).toMatchObject({ followers: 3_000, written: 3_000, batches: 6 });
    expect((await list(followers[1_234]!)).map((n) => n.postId)).toEqual([post.postId]);
  });

  it("streams a followed author's post to a watching follower, live only, and again after a reconnect", async () => {
    const [author, fan, stranger] = [randomUUID(), randomUUID(), randomUUID()];
    await publish.follow(fan, author);
    const old = await publish.post(author, 'before anyone watched');
    await handled(replica, old.id);

    const first = await watch(replica, fan);
    const bystander = await watch(replica, stranger);
    const live = await publish.post(author, 'while watching');
    const [got] = await first.waitFor(1, 30_000);
    expect(got?.notification).toMatchObject({ postId: live.postId, actorId: author, read: false });
    await first.cancel();

    // The client reconnects: a new call, which carries on with what comes next.
    const second = await watch(replica, fan);
    const later = await publish.post(author, 'after the reconnect');
    await second.waitFor(1, 30_000);
    await handled(replica, later.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(first.received.map((r) => r.notification.postId)).toEqual([live.postId]);
    expect(second.received.map((r) => r.notification.postId)).toEqual([later.postId]);
    expect(bystander.received).toEqual([]);
    await second.cancel();
    await bystander.cancel();
    expect(replica.notifications.feed.watchers()).toBe(0);
  });
});

describe('NotificationService', () => {
  let replica: NotificationReplica;
  shareReplica((r) => (replica = r));

  /** `count` posts by different authors that `fan` follows, oldest first. */
  async function notificationsFor(fan: string, count: number, others: string[] = []) {
    const postIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const author = randomUUID();
      await seedFollowers(replica.storage, author, [fan, ...others]);
      postIds.push((await commitPost(replica.storage, author, `post ${i}`)).postId);
    }
    return postIds;
  }

  it("lists the caller's notifications newest first, in pages, and unread only when asked", async () => {
    const fan = randomUUID();
    const postIds = await notificationsFor(fan, 5);
    const pages: string[][] = [];
    let pageToken = '';
    do {
      const res = await replica.client.listNotifications({ pageSize: 2, pageToken }, as(fan));
      pages.push(res.notifications.map((n) => n.postId));
      pageToken = res.nextPageToken;
    } while (pageToken !== '');
    expect(pages).toEqual([[postIds[4], postIds[3]], [postIds[2], postIds[1]], [postIds[0]]]);

    const all = await replica.client.listNotifications({}, as(fan));
    const [newest, , third] = all.notifications;
    await replica.client.markRead(
      { notificationIds: [newest!.notificationId, third!.notificationId] },
      as(fan),
    );
    const unread = await replica.client.listNotifications(
      { unreadOnly: true, pageSize: 2 },
      as(fan),
    );
    expect(unread.notifications.map((n) => n.postId)).toEqual([postIds[3], postIds[1]]);
    const rest = await replica.client.listNotifications(
      { unreadOnly: true, pageSize: 2, pageToken: unread.nextPageToken },
      as(fan),
    );
    expect(rest.notifications.map((n) => n.postId)).toEqual([postIds[0]]);
    expect(rest.nextPageToken).toBe('');
    const marked = (await replica.client.listNotifications({}, as(fan))).notifications;
    expect(marked.map((n) => n.read)).toEqual([true, false, true, false, false]);
  });

  it("marks only the caller's own notifications read, and counts only real changes", async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    await notificationsFor(alice, 2, [bob]);
    const mine = (await replica.client.listNotifications({}, as(alice))).notifications;
    const bobs = (await replica.client.listNotifications({}, as(bob))).notifications;
    expect(mine).toHaveLength(2);

    const res = await replica.client.markRead(
      {
        notificationIds: [
          ...mine.map((n) => n.notificationId),
          bobs[0]!.notificationId,
          randomUUID(),
        ],
      },
      as(alice),
    );
    expect(res.updatedCount).toBe(2);
    const again = await replica.client.markRead(
      { notificationIds: mine.map((n) => n.notificationId) },
      as(alice),
    );
    expect(again.updatedCount).toBe(0);
    // Bob's notification is untouched, even though Alice named it.
    const bobsNow = (await replica.client.listNotifications({}, as(bob))).notifications;
    expect(bobsNow.map((n) => n.read)).toEqual([false, false]);
    // Bob cannot undo or read Alice's either: lists are per caller.
    expect(bobsNow.map((n) => n.notificationId).sort()).toEqual(
      bobs.map((n) => n.notificationId).sort(),
    );
  });

  it('refuses malformed requests and callers without a token', async () => {
    const me = randomUUID();
    const empty = await failure(replica.client.markRead({ notificationIds: [] }, as(me)));
    expect([empty.code, empty.rawMessage]).toEqual([
      Code.InvalidArgument,
      'notification_ids: must contain at least 1 item(s)',
    ]);
    const malformed = await failure(replica.client.markRead({ notificationIds: ['n-1'] }, as(me)));
    expect(malformed.rawMessage).toBe('notification_ids[0]: must be a valid UUID');
    const size = await failure(replica.client.listNotifications({ pageSize: 101 }, as(me)));
    expect(size.rawMessage).toBe(
      'page_size: must be between 1 and 100, or 0 for the default of 20',
    );
    const token = await failure(replica.client.listNotifications({ pageToken: 'abc' }, as(me)));
    expect(token.rawMessage).toBe(
      'page_token: is not a token from a previous ListNotifications response',
    );
    for (const call of [
      replica.client.listNotifications({}, anonymous),
      replica.client.markRead({ notificationIds: [randomUUID()] }, anonymous),
    ]) {
      expect((await failure(call)).code).toBe(Code.Unauthenticated);
    }
    const stream = replica.client.watchNotifications({}, { ...anonymous, timeoutMs: 5_000 });
    const err = await failure(
      (async () => {
        for await (const _ of stream) break;
      })(),
    );
    expect(err.code).toBe(Code.Unauthenticated);
  });

  it('pushes each new notification to a watcher within 100 ms of its commit', async () => {
    const fan = randomUUID();
    const watcher = await watch(replica, fan);
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const author = randomUUID();
      await seedFollowers(replica.storage, author, [fan]);
      const { postId, committedAt } = await commitPost(replica.storage, author, `live ${i}`);
      const [received] = (await watcher.waitFor(i + 1, 5_000)).slice(i);
      expect(received?.notification.postId).toBe(postId);
      latencies.push(received!.at - committedAt);
    }
    await watcher.cancel();
    expect(Math.max(...latencies)).toBeLessThan(100);
  });

  it('refuses more than 16 watches of one user at one replica', async () => {
    const fan = randomUUID();
    const watchers = await Promise.all(Array.from({ length: 16 }, () => watch(replica, fan)));
    const extra = await watch(replica, fan, { ready: false });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100 && !extra.ended(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(extra.ended()).toBe(true);
    const err = extra.error() as ConnectError;
    expect([err.code, errorCode(err)]).toEqual([Code.ResourceExhausted, 'TOO_MANY_WATCHES']);
    for (const w of watchers) await w.cancel();
    expect(replica.notifications.feed.watchers(fan)).toBe(0);
  });
});
