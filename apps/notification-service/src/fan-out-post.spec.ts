import { randomUUID } from 'node:crypto';
import type { Storage } from '@switchboard/storage';
import { fanOutPost } from './fan-out-post';
import { notificationIdFor } from './notification-id';
import type { NotificationDatabase } from './notification-schema';
import { NOTIFICATION_CHANNEL, decodeSignal } from './notification-signal';
import {
  countNotifications,
  createTestStore,
  eventually,
  openStorage,
  seedFollowers,
  type TestStore,
} from './testing/notification-test-harness';

describe('fanOutPost', () => {
  let store: TestStore;
  // The database alone: these specs count every signal on it.
  let storage: Storage<NotificationDatabase>;

  beforeAll(async () => {
    store = await createTestStore();
    storage = await openStorage(store);
  });
  afterAll(async () => {
    await storage?.close();
    await store?.dispose();
  });

  /** Runs a fan-out in one transaction, counting the INSERT statements it sends. */
  async function fanOut(post: Parameters<typeof fanOutPost>[1], batchSize: number) {
    let inserts = 0;
    const result = await storage.db.transaction().execute((trx) =>
      fanOutPost(
        trx.withPlugin({
          transformQuery: ({ node }) => {
            if (node.kind === 'InsertQueryNode') inserts++;
            return node;
          },
          transformResult: async ({ result }) => result,
        }),
        post,
        batchSize,
      ),
    );
    return { ...result, inserts };
  }

  it('writes one notification per follower in multi-row inserts of the batch size', async () => {
    const author = randomUUID();
    const followers = Array.from({ length: 3_000 }, () => randomUUID());
    await seedFollowers(storage, author, followers);
    const signalled = new Set<string>();
    const unlisten = await storage.listen(NOTIFICATION_CHANNEL, (payload) => {
      for (const item of decodeSignal(payload)) signalled.add(item.notificationId);
    });

    const post = {
      eventId: randomUUID(),
      postId: randomUUID(),
      authorId: author,
      text: 'big news',
    };
    const result = await fanOut(post, 500);
    expect(result).toEqual({ followers: 3_000, written: 3_000, batches: 6, inserts: 6 });
    expect(await countNotifications(storage, { postId: post.postId })).toBe(3_000);

    // Every follower got the id derived from the event and their id, and was signalled once.
    const rows = await storage.db
      .selectFrom('notifications')
      .select(['notification_id', 'recipient_id', 'actor_id', 'preview', 'read_at'])
      .where('post_id', '=', post.postId)
      .execute();
    expect(new Set(rows.map((r) => r.recipient_id))).toEqual(new Set(followers));
    for (const row of rows) {
      expect(row).toMatchObject({
        notification_id: notificationIdFor(post.eventId, row.recipient_id),
        actor_id: author,
        preview: 'big news',
        read_at: null,
      });
    }
    await eventually(
      async () => (signalled.size === 3_000 ? true : undefined),
      10_000,
      'all signals',
    );
    await unlisten();
  });

  it('adds nothing and signals nothing when the same event is fanned out again', async () => {
    const author = randomUUID();
    await seedFollowers(
      storage,
      author,
      Array.from({ length: 1_001 }, () => randomUUID()),
    );
    const signals: string[] = [];
    const unlisten = await storage.listen(NOTIFICATION_CHANNEL, (p) => signals.push(p));
    const post = { eventId: randomUUID(), postId: randomUUID(), authorId: author, text: 'once' };
    expect(await fanOut(post, 500)).toMatchObject({ written: 1_001, batches: 3, inserts: 3 });
    // Signals arrive after the commit; let the first fan-out's all land before counting.
    await eventually(
      async () => (signals.flatMap(decodeSignal).length === 1_001 ? true : undefined),
      10_000,
      'the first fan-out to be signalled',
    );
    signals.length = 0;

    expect(await fanOut(post, 500)).toMatchObject({ followers: 1_001, written: 0 });
    // The same post under a new event id is still the same post: no second notification.
    expect(await fanOut({ ...post, eventId: randomUUID() }, 500)).toMatchObject({ written: 0 });
    expect(await countNotifications(storage, { postId: post.postId })).toBe(1_001);
    // A control fan-out afterwards: once its signal is here, any earlier one would be too.
    const [controlAuthor, controlFan] = [randomUUID(), randomUUID()];
    await seedFollowers(storage, controlAuthor, [controlFan]);
    await fanOut(
      { eventId: randomUUID(), postId: randomUUID(), authorId: controlAuthor, text: 'x' },
      500,
    );
    await eventually(
      async () => (signals.length > 0 ? true : undefined),
      10_000,
      'the control signal',
    );
    expect(signals.flatMap(decodeSignal).map((s) => s.recipientId)).toEqual([controlFan]);
    await unlisten();
  });

  it('does nothing for an author without followers', async () => {
    const post = {
      eventId: randomUUID(),
      postId: randomUUID(),
      authorId: randomUUID(),
      text: 'echo',
    };
    expect(await fanOut(post, 500)).toEqual({ followers: 0, written: 0, batches: 0, inserts: 0 });
  });
});
