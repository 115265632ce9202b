import type { InboxDatabase } from '@switchboard/event-bus';
import type { ColumnType, Generated, Selectable } from '@switchboard/storage';

/**
 * This service's copy of the follow graph, fed by UserFollowed and
 * UserUnfollowed. It arrives on the same partition as the followee's posts,
 * so when a PostCreated is handled every earlier follow of its author is here.
 */
export interface FollowersTable {
  followee_id: string;
  follower_id: string;
  followed_at: Date;
}

export interface NotificationsTable {
  /** Derived from the event id and the recipient (notificationIdFor): a replay cannot duplicate. */
  notification_id: string;
  recipient_id: string;
  post_id: string;
  /** The author of the post. */
  actor_id: string;
  preview: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  read_at: Date | null;
  /** Insertion order: "newest first" and the page tokens use it, never offsets. */
  seq: Generated<bigint>;
  /**
   * The W3C trace context (JSON carrier) of the fan-out that wrote it, so the
   * push to watchers, at any replica, joins the PostCreated's trace.
   */
  trace_context: ColumnType<string | null, string | null | undefined, never>;
}

export type NotificationRow = Selectable<NotificationsTable>;

/** The inbox shares the database: a consumed event's effect commits with its inbox row. */
export interface NotificationDatabase extends InboxDatabase {
  followers: FollowersTable;
  notifications: NotificationsTable;
}
