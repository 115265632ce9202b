import { inboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createOrders: Migration = {
  async up(db: Kysely<unknown>) {
    // Ids collate "C" so report tie-breaks order the same on PGlite and on a
    // server whatever its locale.
    await sql`
      create table orders (
        order_id      text collate "C" primary key,
        customer_id   text collate "C" not null,
        currency_code text not null check (currency_code ~ '^[A-Z]{3}$'),
        placed_at     timestamptz not null,
        units         bigint not null check (units > 0),
        revenue_minor bigint not null check (revenue_minor >= 0),
        status        text not null check (status in ('placed', 'cancelled')),
        cancelled_at  timestamptz,
        recorded_at   timestamptz not null default now(),
        constraint orders_cancelled_has_time check ((status = 'cancelled') = (cancelled_at is not null))
      )`.execute(db);
    // Every report reads the counting orders of one currency in a time range;
    // cancelled orders are never read, so they stay out of the index.
    await sql`
      create index orders_placed_by_time on orders (currency_code, placed_at)
        where status = 'placed'`.execute(db);
    await sql`
      create table order_lines (
        order_id         text collate "C" not null references orders (order_id),
        position         integer not null check (position >= 0),
        sku              text collate "C" not null,
        quantity         integer not null check (quantity > 0),
        unit_price_minor bigint not null check (unit_price_minor >= 0),
        primary key (order_id, position)
      )`.execute(db);
  },
};

const createNames: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table products (
        sku        text collate "C" primary key,
        name       text not null,
        updated_at timestamptz
      )`.execute(db);
    await sql`
      create table customers (
        customer_id   text collate "C" primary key,
        display_name  text not null,
        registered_at timestamptz
      )`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The inbox comes first: it is shared code, named 0000_*, and every
 * later migration may assume it exists.
 */
export const migrations: Record<string, Migration> = {
  ...inboxMigrations,
  '0001_create_orders': createOrders,
  '0002_create_names': createNames,
};
