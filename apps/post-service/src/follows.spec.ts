import { randomUUID } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { UserFollowedSchema, UserUnfollowedSchema } from '@switchboard/contracts';
import { createPostStore } from './create-post-store';
import {
  EVENT_SOURCE,
  anonymous,
  as,
  errorInfo,
  failure,
  startPostTestServer,
  type PostTestServer,
} from './testing/post-test-harness';

describe('PostService follow graph', () => {
  let t: PostTestServer;

  beforeAll(async () => {
    t = await startPostTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The follow events keyed by `followee`, oldest first, as [type, follower, followee]. */
  async function followEvents(followee: string) {
    const rows = await t.storage.db
      .selectFrom('outbox')
      .selectAll()
      .where('key', '=', followee)
      .orderBy('id')
      .execute();
    return rows.map((row) => {
      const schema = row.type.endsWith('UserFollowed') ? UserFollowedSchema : UserUnfollowedSchema;
      const event = fromBinary(schema, row.payload);
      return [row.type.split('.').at(-1), event.followerId, event.followeeId];
    });
  }

  describe('FollowUser and UnfollowUser', () => {
    it('follows once and announces once, however often it is asked', async () => {
      const [alice, bob] = [randomUUID(), randomUUID()];
      await t.registerUsers(bob);
      await t.client.followUser({ userId: bob }, as(alice));
      await t.client.followUser({ userId: bob }, as(alice));
      await t.client.followUser({ userId: bob.toUpperCase() }, as(alice));
      expect(await followEvents(bob)).toEqual([['UserFollowed', alice, bob]]);
      const followers = await t.client.listFollowers({ userId: bob }, as(alice));
      expect(followers.followers.map((f) => f.userId)).toEqual([alice]);
    });

    it('unfollows once and announces once; unfollowing a stranger is fine and silent', async () => {
      const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
      await t.registerUsers(bob, carol);
      await t.client.followUser({ userId: bob }, as(alice));
      await t.client.unfollowUser({ userId: bob }, as(alice));
      await t.client.unfollowUser({ userId: bob }, as(alice));
      await t.client.unfollowUser({ userId: carol }, as(alice));
      expect(await followEvents(bob)).toEqual([
        ['UserFollowed', alice, bob],
        ['UserUnfollowed', alice, bob],
      ]);
      expect(await followEvents(carol)).toEqual([]);
      expect((await t.client.listFollowers({ userId: bob }, as(alice))).followers).toEqual([]);
      // Following again after an unfollow is a new follow, announced again.
      await t.client.followUser({ userId: bob }, as(alice));
      expect((await followEvents(bob)).map((e) => e[0])).toEqual([
        'UserFollowed',
        'UserUnfollowed',
        'UserFollowed',
      ]);
    });

    it('refuses following yourself with INVALID_ARGUMENT, and writes nothing', async () => {
      const alice = randomUUID();
      await t.registerUsers(alice);
      for (const call of [t.client.followUser, t.client.unfollowUser]) {
        const err = await failure(call({ userId: alice }, as(alice)));
        expect([err.code, err.rawMessage]).toEqual([
          Code.InvalidArgument,
          'user_id: must not be your own user id: you cannot follow yourself',
        ]);
      }
      expect(await followEvents(alice)).toEqual([]);
    });

    it('answers NOT_FOUND for a user this service does not know', async () => {
      const [alice, ghost] = [randomUUID(), randomUUID()];
      for (const call of [t.client.followUser, t.client.unfollowUser]) {
        const err = await failure(call({ userId: ghost }, as(alice)));
        expect([err.code, errorInfo(err).code, errorInfo(err).details]).toEqual([
          Code.NotFound,
          'USER_NOT_FOUND',
          { userId: ghost },
        ]);
      }
      expect(await followEvents(ghost)).toEqual([]);
    });

    it('answers INVALID_ARGUMENT for a malformed or missing user id, UNAUTHENTICATED without a token', async () => {
      const alice = randomUUID();
      const malformed = await failure(t.client.followUser({ userId: 'bob' }, as(alice)));
      expect(malformed.rawMessage).toBe('user_id: must be a valid UUID');
      const missing = await failure(t.client.followUser({}, as(alice)));
      expect(missing.rawMessage).toBe('user_id: is required');
      const bob = randomUUID();
      await t.registerUsers(bob);
      expect((await failure(t.client.followUser({ userId: bob }, anonymous))).code).toBe(
        Code.Unauthenticated,
      );
    });
  });

  describe('ListFollowers and ListFollowing', () => {
    const star = randomUUID();
    const fans = Array.from({ length: 5 }, () => randomUUID());

    beforeAll(async () => {
      await t.registerUsers(star, ...fans);
      for (const fan of fans) await t.client.followUser({ userId: star }, as(fan));
      // The first fan also follows everyone else.
      for (const other of fans.slice(1)) await t.client.followUser({ userId: other }, as(fans[0]!));
    });

    it('pages the followers, most recent follow first', async () => {
      const seen: string[][] = [];
      let pageToken = '';
      do {
        const res = await t.client.listFollowers(
          { userId: star, pageSize: 2, pageToken },
          as(star),
        );
        seen.push(res.followers.map((f) => f.userId));
        for (const f of res.followers) expect(f.followedAt).toBeDefined();
        pageToken = res.nextPageToken;
      } while (pageToken !== '');
      expect(seen).toEqual([[fans[4], fans[3]], [fans[2], fans[1]], [fans[0]]]);
    });

    it('pages whom a user follows', async () => {
      const first = await t.client.listFollowing({ userId: fans[0]!, pageSize: 3 }, as(star));
      expect(first.following.map((f) => f.userId)).toEqual([fans[4], fans[3], fans[2]]);
      const rest = await t.client.listFollowing(
        { userId: fans[0]!, pageSize: 3, pageToken: first.nextPageToken },
        as(star),
      );
      expect(rest.following.map((f) => f.userId)).toEqual([fans[1], star]);
      expect(rest.nextPageToken).toBe('');
    });

    it('refuses a token of the other list and a missing user id', async () => {
      const first = await t.client.listFollowing({ userId: fans[0]!, pageSize: 1 }, as(star));
      const err = await failure(
        t.client.listFollowers({ userId: star, pageToken: first.nextPageToken }, as(star)),
      );
      expect(err.rawMessage).toBe(
        'page_token: is not a token from a previous ListFollowers response',
      );
      const missing = await failure(t.client.listFollowing({}, as(star)));
      expect(missing.rawMessage).toBe('user_id: is required');
    });
  });
});

// Needs real concurrency: several transactions at once.
describe('event order per key on postgres', () => {
  let t: PostTestServer;

  beforeAll(async () => {
    t = await startPostTestServer({ poolSize: 10 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('makes a follow wait for an uncommitted post by the followee, so outbox order is commit order', async () => {
    const [author, fan] = [randomUUID(), randomUUID()];
    await t.registerUsers(author);
    let releasePost!: () => void;
    const postMayCommit = new Promise<void>((resolve) => (releasePost = resolve));
    let postInserted!: () => void;
    const postIsInserted = new Promise<void>((resolve) => (postInserted = resolve));

    // A post whose outbox row exists but whose transaction is still open.
    const post = t.storage.db.transaction().execute(async (trx) => {
      await createPostStore({ db: trx, source: EVENT_SOURCE }).create(author, 'slow to commit');
      postInserted();
      await postMayCommit;
    });
    await postIsInserted;
    let followDone = false;
    const follow = t.client.followUser({ userId: author }, as(fan)).then(() => (followDone = true));
    try {
      await new Promise((r) => setTimeout(r, 400));
      // Without the key lock the follow would have committed by now, ahead of the post.
      expect(followDone).toBe(false);
    } finally {
      releasePost();
      await post;
      await follow;
    }

    const rows = await t.storage.db
      .selectFrom('outbox')
      .select(['id', 'type'])
      .where('key', '=', author)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.type.split('.').at(-1))).toEqual(['PostCreated', 'UserFollowed']);
  });

  it('lets twenty racing follows of one user make one follow and one event', async () => {
    const star = randomUUID();
    const fan = randomUUID();
    await t.registerUsers(star);
    await Promise.all(
      Array.from({ length: 20 }, () => t.client.followUser({ userId: star }, as(fan))),
    );
    const rows = await t.storage.db
      .selectFrom('outbox')
      .select('type')
      .where('key', '=', star)
      .execute();
    expect(rows).toHaveLength(1);
    const followers = await t.client.listFollowers({ userId: star }, as(fan));
    expect(followers.followers.map((f) => f.userId)).toEqual([fan]);
  });
});
