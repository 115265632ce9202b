import { inboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createSubscriptions: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table subscriptions (
        subscription_id uuid primary key,
        seq             bigint generated always as identity unique,
        sink_url        text not null,
        filter          jsonb not null,
        mode            text not null check (mode in ('binary', 'structured')),
        paused          boolean not null default false,
        description     text not null default '',
        secret_sealed   text not null,
        created_at      timestamptz not null default now(),
        deleted_at      timestamptz
      )`.execute(db);
    // Matching and listing read the live subscriptions only.
    await sql`create index subscriptions_live on subscriptions (seq) where deleted_at is null`.execute(
      db,
    );
  },
};

const createDeliveries: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table deliveries (
        seq              bigint generated always as identity primary key,
        delivery_id      uuid not null unique,
        subscription_id  uuid not null references subscriptions (subscription_id),
        event_id         text not null,
        event_type       text not null,
        job              jsonb not null,
        status           text not null default 'pending'
                           check (status in ('pending', 'delivered', 'dead_lettered')),
        attempts         integer not null default 0 check (attempts >= 0),
        last_http_status integer not null default 0,
        last_error       text not null default '',
        created_at       timestamptz not null default now(),
        updated_at       timestamptz not null default now(),
        sent_at          timestamptz,
        -- A dispatcher replica's claim while it sends; an expired claim is anyone's again.
        claimed_until    timestamptz,
        -- An event redelivered by Kafka after the inbox forgot it still makes one job per subscription.
        unique (subscription_id, event_id)
      )`.execute(db);
    // The dispatcher's queue: small, because rows leave it once the broker has them.
    await sql`create index deliveries_unsent on deliveries (seq) where sent_at is null`.execute(db);
    await sql`create index deliveries_by_subscription on deliveries (subscription_id, seq)`.execute(
      db,
    );
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The inbox comes first: it is shared code, named 0000_*.
 */
export const migrations: Record<string, Migration> = {
  ...inboxMigrations,
  '0001_create_subscriptions': createSubscriptions,
  '0002_create_deliveries': createDeliveries,
};
