import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  POST_TEXT_FORBIDDEN_CONTROL,
  POST_TEXT_MAX_CHARS,
  PostCreatedSchema,
  UserFollowedSchema,
  UserUnfollowedSchema,
} from '@switchboard/contracts';
import { SpanKind, context, metrics, trace } from '@opentelemetry/api';
import {
  UnprocessableEventError,
  eventContext,
  on,
  type Subscription,
} from '@switchboard/event-bus';
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

/**
 * A post's text as the post API accepts it (bounds from the contracts):
 * anything else was forged or is a bug, and would be previewed to every
 * follower, so it is refused like a malformed id.
 */
function requirePostText(text: string): void {
  const length = [...text].length;
  if (text.trim() === '') throw new UnprocessableEventError('text is empty');
  if (length > POST_TEXT_MAX_CHARS) {
    throw new UnprocessableEventError(
      `text has ${length} characters, more than ${POST_TEXT_MAX_CHARS}`,
    );
  }
  if (POST_TEXT_FORBIDDEN_CONTROL.test(text)) {
    throw new UnprocessableEventError(
      'text contains control characters other than newline and tab',
    );
  }
}

/** Nobody can follow themselves through the post API; such an event is not one of its. */
function requireTwoUsers(followerId: string, followeeId: string): void {
  if (followerId.toLowerCase() === followeeId.toLowerCase()) {
    throw new UnprocessableEventError('follower_id and followee_id are the same user');
  }
}

/** A follow event's two users, checked and lower-cased as the follows table keys them. */
function followEdge(event: { followerId: string; followeeId: string }): {
  followerId: string;
  followeeId: string;
} {
  requireUuids({ follower_id: event.followerId, followee_id: event.followeeId });
  requireTwoUsers(event.followerId, event.followeeId);
  return { followerId: event.followerId.toLowerCase(), followeeId: event.followeeId.toLowerCase() };
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
  // Looked up here, after the service registered its telemetry, not at import.
  const tracer = trace.getTracer('switchboard/notification-service');
  const delivered = metrics
    .getMeter('switchboard/notification-service')
    .createCounter('switchboard.notifications.delivered', {
      description: 'Notifications the fan-out committed to their recipients',
      unit: '{notification}',
    });
  return [
    on<NotificationDatabase, typeof UserFollowedSchema>(UserFollowedSchema, async (event, ctx) => {
      await recordFollow(ctx.trx, { ...followEdge(event), at: dateOf(event.followedAt) });
    }),

    on<NotificationDatabase, typeof UserUnfollowedSchema>(
      UserUnfollowedSchema,
      async (event, ctx) => {
        await recordUnfollow(ctx.trx, { ...followEdge(event), at: dateOf(event.unfollowedAt) });
      },
    ),

    on<NotificationDatabase, typeof PostCreatedSchema>(PostCreatedSchema, async (event, ctx) => {
      requireUuids({ post_id: event.postId, author_id: event.authorId });
      requirePostText(event.text);
      // In the PostCreated's trace even when the event is handled in a run,
      // whose span is a trace of its own: linked to that span then.
      const parent = eventContext(ctx.event.record);
      const active = trace.getActiveSpan()?.spanContext();
      const links =
        parent !== context.active() && active && trace.isSpanContextValid(active)
          ? [{ context: active }]
          : [];
      const result = await tracer.startActiveSpan(
        'PostCreated fan-out',
        { kind: SpanKind.INTERNAL, links, attributes: { 'switchboard.post_id': event.postId } },
        parent,
        async (span) => {
          try {
            const written = await fanOutPost(
              ctx.trx,
              {
                eventId: ctx.event.id,
                postId: event.postId.toLowerCase(),
                authorId: event.authorId.toLowerCase(),
                text: event.text,
              },
              deps.fanOutBatchSize,
            );
            span.setAttributes({
              'switchboard.followers': written.followers,
              'switchboard.notifications_written': written.written,
            });
            return written;
          } finally {
            span.end();
          }
        },
      );
      // Counted once committed: a rolled-back fan-out delivered nothing.
      ctx.afterCommit(() => delivered.add(result.written));
      ctx.logger.info({ postId: event.postId, ...result }, 'post fanned out');
    }),
  ];
}
