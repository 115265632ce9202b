import { captureTraceContext } from '@switchboard/event-bus';
import type { Kysely } from '@switchboard/storage';
import { notificationIdFor } from './notification-id';
import { previewOf } from './notification-preview';
import type { NotificationDatabase } from './notification-schema';
import { signalNewNotifications } from './notification-signal';

export interface PostToFanOut {
  /** The PostCreated event's CloudEvents id: with the recipient it derives the notification id. */
  eventId: string;
  postId: string;
  authorId: string;
  text: string;
}

export interface FanOutResult {
  /** Followers of the author when the event was handled. */
  followers: number;
  /** Notifications written now; fewer than followers when some already existed. */
  written: number;
  /** Insert statements issued. */
  batches: number;
}

/**
 * Writes one notification per follower of the author, inside the caller's
 * (the inbox handler's) transaction, in multi-row inserts of `batchSize`.
 * Followers are read in keyset pages of the same size, so memory stays flat
 * however many there are. Every insert skips rows that exist (same derived
 * id, or same recipient and post), so a replay adds nothing, and only the
 * rows really written are signalled to the watchers.
 *
 * The whole fan-out is one transaction with the inbox row: all of it, or
 * none of it and a retry. For authors with millions of followers that
 * transaction grows long; they would need a checkpointed fan-out instead.
 */
export async function fanOutPost(
  trx: Kysely<NotificationDatabase>,
  post: PostToFanOut,
  batchSize: number,
): Promise<FanOutResult> {
  const preview = previewOf(post.text);
  // The active context is the fan-out's span, in the PostCreated's trace.
  const carrier = captureTraceContext();
  const traceContext = Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null;
  const result: FanOutResult = { followers: 0, written: 0, batches: 0 };
  let after: string | undefined;
  for (;;) {
    let query = trx
      .selectFrom('followers')
      .select('follower_id')
      .where('followee_id', '=', post.authorId)
      .orderBy('follower_id')
      .limit(batchSize);
    if (after !== undefined) query = query.where('follower_id', '>', after);
    const followers = await query.execute();
    if (followers.length === 0) break;
    result.followers += followers.length;
    result.batches += 1;
    const written = await trx
      .insertInto('notifications')
      .values(
        followers.map(({ follower_id }) => ({
          notification_id: notificationIdFor(post.eventId, follower_id),
          recipient_id: follower_id,
          post_id: post.postId,
          actor_id: post.authorId,
          preview,
          trace_context: traceContext,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returning(['notification_id', 'recipient_id'])
      .execute();
    result.written += written.length;
    await signalNewNotifications(
      trx,
      written.map((row) => ({
        recipientId: row.recipient_id,
        notificationId: row.notification_id,
      })),
    );
    if (followers.length < batchSize) break;
    after = followers.at(-1)?.follower_id;
  }
  return result;
}
