import { inboxMigrations, outboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createUsers: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table users (
        user_id       uuid primary key,
        display_name  text not null,
        registered_at timestamptz not null,
        recorded_at   timestamptz not null default now()
      )`.execute(db);
  },
};

const createPosts: Migration = {
  async up(db: Kysely<unknown>) {
    // The length CHECK repeats the API rule (char_length counts code points,
    // as the validator does) so no code path can store an invalid post.
    await sql`
      create table posts (
        post_id    uuid primary key,
        author_id  uuid not null,
        text       text not null check (char_length(text) between 1 and 2000),
        created_at timestamptz not null,
        seq        bigint generated always as identity
      )`.execute(db);
    // ListPosts: one author's posts, newest first, continuing below a seq.
    await sql`create index posts_by_author on posts (author_id, seq desc)`.execute(db);
  },
};

const createFollows: Migration = {
  async up(db: Kysely<unknown>) {
    // The primary key makes a follow idempotent; the foreign key means only a
    // known user can be followed; the CHECK makes following yourself impossible.
    await sql`
      create table follows (
        follower_id uuid not null,
        followee_id uuid not null references users (user_id),
        followed_at timestamptz not null,
        seq         bigint generated always as identity,
        primary key (follower_id, followee_id),
        constraint follows_not_self check (follower_id <> followee_id)
      )`.execute(db);
    await sql`create index follows_by_followee on follows (followee_id, seq desc)`.execute(db);
    await sql`create index follows_by_follower on follows (follower_id, seq desc)`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The shared outbox and inbox come first (0000_*): every later
 * migration may assume they exist.
 */
export const migrations: Record<string, Migration> = {
  ...outboxMigrations,
  ...inboxMigrations,
  '0001_create_users': createUsers,
  '0002_create_posts': createPosts,
  '0003_create_follows': createFollows,
};
