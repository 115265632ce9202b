import type { Kysely } from '@switchboard/storage';
import type { NotificationDatabase } from './notification-schema';

export interface FollowChange {
  followerId: string;
  followeeId: string;
  at: Date;
}

/**
 * Applies UserFollowed to the local follower table. Idempotent: the same
 * follow twice is one row. Ordering needs no care here: follows and
 * unfollows of one followee share a partition, so they arrive in commit order.
 */
export async function recordFollow(
  trx: Kysely<NotificationDatabase>,
  change: FollowChange,
): Promise<void> {
  await trx
    .insertInto('followers')
    .values({
      followee_id: change.followeeId,
      follower_id: change.followerId,
      followed_at: change.at,
    })
    .onConflict((oc) => oc.columns(['followee_id', 'follower_id']).doNothing())
    .execute();
}

/** Applies UserUnfollowed; unfollowing someone not followed is a no-op. */
export async function recordUnfollow(
  trx: Kysely<NotificationDatabase>,
  change: FollowChange,
): Promise<void> {
  await trx
    .deleteFrom('followers')
    .where('followee_id', '=', change.followeeId)
    .where('follower_id', '=', change.followerId)
    .execute();
}
