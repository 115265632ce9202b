import { inboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createFollowers: Migration = {
  async up(db: Kysely<unknown>) {
    // Keyed by followee first: the fan-out reads one author's followers, in
    // follower order, in batches.
    await sql`
      create table followers (
        followee_id uuid not null,
        follower_id uuid not null,
        followed_at timestamptz not null,
        primary key (followee_id, follower_id)
      )`.execute(db);
  },
};

const createNotifications: Migration = {
  async up(db: Kysely<unknown>) {
    // One notification per recipient and post, whatever the event id: a post
    // re-announced under a new id still notifies once.
    await sql`
      create table notifications (
        notification_id uuid primary key,
        recipient_id    uuid not null,
        post_id         uuid not null,
        actor_id        uuid not null,
        preview         text not null,
        created_at      timestamptz not null default now(),
        read_at         timestamptz,
        seq             bigint generated always as identity,
        constraint notifications_once_per_post unique (recipient_id, post_id)
      )`.execute(db);
    // ListNotifications newest first, and the unread-only variant.
    await sql`create index notifications_by_recipient on notifications (recipient_id, seq desc)`.execute(
      db,
    );
    await sql`
      create index notifications_unread_by_recipient on notifications (recipient_id, seq desc)
        where read_at is null`.execute(db);
  },
};

const addNotificationTraceContext: Migration = {
  async up(db: Kysely<unknown>) {
    // Nullable: rows written before it, or untraced, are pushed with a span of their own.
    await sql`alter table notifications add column if not exists trace_context text`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The shared inbox comes first (0000_*). No outbox: this service
 * publishes no events.
 */
export const migrations: Record<string, Migration> = {
  ...inboxMigrations,
  '0001_create_followers': createFollowers,
  '0002_create_notifications': createNotifications,
  '0003_add_notification_trace_context': addNotificationTraceContext,
};
