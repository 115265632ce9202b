import { outboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createOrders: Migration = {
  async up(db: Kysely<unknown>) {
    // created_at is cut to milliseconds: ListOrders' page token carries it as
    // a JS Date, and the keyset comparison must see exactly the stored value.
    await sql`
      create table orders (
        order_id              uuid primary key,
        customer_id           text not null,
        status                text not null check (status in ('placed', 'cancelled')),
        currency_code         text not null check (currency_code ~ '^[A-Z]{3}$'),
        total_minor           bigint not null check (total_minor >= 0),
        reservation_committed boolean not null default false,
        created_at            timestamptz not null default date_trunc('milliseconds', now()),
        cancelled_at          timestamptz,
        stock_returned_at     timestamptz,
        constraint orders_cancelled_at_matches_status
          check ((status = 'cancelled') = (cancelled_at is not null))
      )`.execute(db);
    // ListOrders: one customer's orders, newest first, by keyset.
    await sql`
      create index orders_by_customer on orders (customer_id, created_at desc, order_id desc)
    `.execute(db);
    // The settler's two queries only ever look at unfinished work.
    await sql`
      create index orders_commit_pending on orders (created_at)
        where status = 'placed' and not reservation_committed`.execute(db);
    await sql`
      create index orders_stock_return_pending on orders (cancelled_at)
        where status = 'cancelled' and stock_returned_at is null`.execute(db);
    await sql`
      create table order_lines (
        order_id         uuid not null references orders (order_id),
        position         integer not null check (position >= 0),
        sku              text collate "C" not null,
        quantity         integer not null check (quantity between 1 and 1000),
        unit_price_minor bigint not null check (unit_price_minor >= 0),
        primary key (order_id, position),
        unique (order_id, sku)
      )`.execute(db);
  },
};

const createIdempotencyKeys: Migration = {
  async up(db: Kysely<unknown>) {
    // The primary key is the claim: of two concurrent requests with one key,
    // exactly one inserts its row, before either reserves any stock.
    await sql`
      create table idempotency_keys (
        customer_id     text not null,
        idempotency_key text collate "C" not null,
        request_hash    text not null,
        order_id        uuid not null,
        state           text not null check (state in ('pending', 'completed')),
        claimed_at      timestamptz not null default now(),
        created_at      timestamptz not null default now(),
        primary key (customer_id, idempotency_key)
      )`.execute(db);
    // The purge deletes by age.
    await sql`create index idempotency_keys_by_age on idempotency_keys (created_at)`.execute(db);
  },
};

const allowPendingOrders: Migration = {
  async up(db: Kysely<unknown>) {
    // PlaceOrder writes the order (and claims its key) before it asks for
    // stock, so a crash leaves a row the settler can find. 0001's status
    // CHECK is widened rather than edited: it has shipped, and databases that
    // ran it keep PostgreSQL's default name for the constraint.
    await sql`
      alter table orders
        drop constraint orders_status_check,
        add constraint orders_status_check
          check (status in ('pending', 'abandoned', 'placed', 'cancelled')),
        add column idempotency_key text collate "C"`.execute(db);
    // The settler looks only at orders no request finished.
    await sql`
      create index orders_unsettled on orders (created_at)
        where status in ('pending', 'abandoned')`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The outbox comes first: it is shared code, named 0000_*, and every
 * later migration may assume it exists.
 */
export const migrations: Record<string, Migration> = {
  ...outboxMigrations,
  '0001_create_orders': createOrders,
  '0002_create_idempotency_keys': createIdempotencyKeys,
  '0003_allow_pending_orders': allowPendingOrders,
};
