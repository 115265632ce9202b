import type { InboxDatabase, OutboxDatabase } from '@switchboard/event-bus';
import type { ColumnType, Generated } from '@switchboard/storage';

/**
 * Users as this service learned them from UserRegistered events: only what a
 * follow needs (the id exists) and a name for humans. No e-mail: the post
 * service has no use for it, so it does not keep a copy.
 */
export interface UsersTable {
  user_id: string;
  display_name: string;
  registered_at: Date;
  /** When the event reached this service: the gap to registered_at is the replication lag. */
  recorded_at: ColumnType<Date, Date | undefined, never>;
}

export interface PostsTable {
  post_id: string;
  author_id: string;
  /** Normalised and validated: 1-2000 code points, trimmed. */
  text: string;
  created_at: Date;
  /** Insertion order: "newest first" and the page tokens use it, never offsets. */
  seq: Generated<bigint>;
}

/** One row per live follow; an unfollow deletes it, a re-follow makes a new one. */
export interface FollowsTable {
  follower_id: string;
  followee_id: string;
  followed_at: Date;
  seq: Generated<bigint>;
}

/**
 * The outbox shares the database so events commit with the changes they
 * announce; the inbox so a consumed event's effect commits with its record.
 */
export interface PostDatabase extends OutboxDatabase, InboxDatabase {
  users: UsersTable;
  posts: PostsTable;
  follows: FollowsTable;
}
