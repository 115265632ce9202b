import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  PostCreatedSchema,
  UserFollowedSchema,
  UserUnfollowedSchema,
} from '@switchboard/contracts';
import { UnprocessableEventError, on, type Subscription } from '@switchboard/event-bus';
import { fanOutPost } from './fan-out-post';
import { recordFollow, recordUnfollow } from './follower-replica';
import { notificationLimits } from './notification-limits';
import type { NotificationDatabase } from './notification-schema';

/** The consumer group of every replica: Kafka splits the partitions between them. */
export const NOTIFICATION_CONSUMER_GROUP = 'notification-service';

export interface NotificationSubscriptionDeps {
  /** Followers per multi-row insert. */
  fanOutBatchSize: number;
}

/**
 * Users and posts only ever get UUIDs, and no API here accepts anything else:
 * an event with other ids can never be applied, so it is refused as
 * unprocessable and goes to the dead-letter topic at once, without retries.
 */
function requireUuids(fields: Record<string, string>): void {
  const malformed = Object.entries(fields)
    .filter(([, value]) => !notificationLimits.uuidPattern.test(value))
    .map(([name]) => name);
  if (malformed.length > 0) {
    throw new UnprocessableEventError(`malformed ${malformed.join(', ')}: not a UUID`);
  }
}

const dateOf = (ts: Timestamp | undefined): Date => (ts ? timestampDate(ts) : new Date());

/**
 * Every event the notification service consumes, in one place; all three
 * travel on social.posts.v1, keyed by the author / followed user, so one
 * followee's follows and posts are handled in the order they committed.
 * Each handler runs in the inbox transaction: its effect commits exactly once.
 */
export function createNotificationSubscriptions(
  deps: NotificationSubscriptionDeps,
): readonly Subscription<NotificationDatabase>[] {
  return [
    on<NotificationDatabase, typeof UserFollowedSchema>(UserFollowedSchema, async (event, ctx) => {
      requireUuids({ follower_id: event.followerId, followee_id: event.followeeId });
      await recordFollow(ctx.trx, {
        followerId: event.followerId.toLowerCase(),
        followeeId: event.followeeId.toLowerCase(),
        at: dateOf(event.followedAt),
      });
    }),

    on<NotificationDatabase, typeof UserUnfollowedSchema>(
      UserUnfollowedSchema,
      async (event, ctx) => {
        requireUuids({ follower_id: event.followerId, followee_id: event.followeeId });
        await recordUnfollow(ctx.trx, {
          followerId: event.followerId.toLowerCase(),
          followeeId: event.followeeId.toLowerCase(),
          at: dateOf(event.unfollowedAt),
        });
      },
    ),

    on<NotificationDatabase, typeof PostCreatedSchema>(PostCreatedSchema, async (event, ctx) => {
      requireUuids({ post_id: event.postId, author_id: event.authorId });
      const result = await fanOutPost(
        ctx.trx,
        {
          eventId: ctx.event.id,
          postId: event.postId.toLowerCase(),
          authorId: event.authorId.toLowerCase(),
          text: event.text,
        },
        deps.fanOutBatchSize,
      );
      ctx.logger.info({ postId: event.postId, ...result }, 'post fanned out');
    }),
  ];
}
