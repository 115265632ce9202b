import { appendToOutbox } from '@switchboard/event-bus';
import { runInTransaction, type Kysely } from '@switchboard/storage';
import type { UserDirectory } from './create-user-directory';
import { toPage, type Page } from './keyset-page';
import { lockEventKey } from './lock-event-key';
import { userFollowedEvent, userUnfollowedEvent, type FollowRow } from './post-messages';
import type { PostDatabase } from './post-schema';
import type { ListFollowsQuery } from './validate-post-requests';

export interface FollowGraph {
  /** Idempotent: true when the follow is new (and UserFollowed was written), false when it existed. */
  follow(followerId: string, followeeId: string): Promise<boolean>;
  /** Idempotent: true when a follow was removed (and UserUnfollowed was written). */
  unfollow(followerId: string, followeeId: string): Promise<boolean>;
  /** Who follows `userId`, most recent follow first. */
  listFollowers(query: ListFollowsQuery): Promise<Page<FollowRow>>;
  /** Whom `userId` follows, most recent follow first. */
  listFollowing(query: ListFollowsQuery): Promise<Page<FollowRow>>;
}

export interface FollowGraphOptions {
  db: Kysely<PostDatabase>;
  users: UserDirectory;
  /** CloudEvents source of the follow events. */
  source: string;
}

/**
 * The follow graph. Each change writes its event to the outbox in the same
 * transaction, and only a real change writes one: following twice or
 * unfollowing a stranger succeeds quietly and announces nothing.
 */
export function createFollowGraph(options: FollowGraphOptions): FollowGraph {
  const { db, users, source } = options;

  /** One side of the graph: the follows whose `side` is the user, newest first. */
  async function listFollows(
    side: 'followee_id' | 'follower_id',
    { userId, pageSize, beforeSeq }: ListFollowsQuery,
  ): Promise<Page<FollowRow>> {
    let query = db
      .selectFrom('follows')
      .selectAll()
      .where(side, '=', userId)
      .orderBy('seq', 'desc')
      .limit(pageSize + 1);
    if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
    return toPage(await query.execute(), pageSize);
  }

  return {
    follow(followerId, followeeId) {
      return runInTransaction(db, async (trx) => {
        // Keyed like the event: this follow and the followee's posts are ordered by commit.
        await lockEventKey(trx, followeeId);
        await users.require(trx, followeeId);
        // ON CONFLICT rather than catching the violation: a racing twin waits
        // for the first to commit, then does nothing, and emits nothing.
        const row = await trx
          .insertInto('follows')
          .values({ follower_id: followerId, followee_id: followeeId, followed_at: new Date() })
          .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) return false;
        await appendToOutbox(trx, [userFollowedEvent(row)], { source });
        return true;
      });
    },

    unfollow(followerId, followeeId) {
      return runInTransaction(db, async (trx) => {
        await lockEventKey(trx, followeeId);
        await users.require(trx, followeeId);
        const removed = await trx
          .deleteFrom('follows')
          .where('follower_id', '=', followerId)
          .where('followee_id', '=', followeeId)
          .returning('follower_id')
          .executeTakeFirst();
        if (removed === undefined) return false;
        await appendToOutbox(trx, [userUnfollowedEvent(followerId, followeeId, new Date())], {
          source,
        });
        return true;
      });
    },

    listFollowers: (query) => listFollows('followee_id', query),
    listFollowing: (query) => listFollows('follower_id', query),
  };
}
