import { outboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createProducts: Migration = {
  async up(db: Kysely<unknown>) {
    // The CHECKs are the last line of defence against overselling: whatever the
    // code does, the database refuses a row with more reserved than on hand.
    // Collation "C" orders skus byte-wise, so ListProducts pages come in the
    // same order on PGlite and on a server whatever its locale, and the primary
    // key index serves the keyset query.
    await sql`
      create table products (
        sku           text collate "C" primary key,
        name          text not null,
        currency_code text not null check (currency_code ~ '^[A-Z]{3}$'),
        price_minor   bigint not null check (price_minor >= 0),
        on_hand       integer not null check (on_hand >= 0),
        reserved      integer not null default 0 check (reserved >= 0),
        created_at    timestamptz not null default now(),
        updated_at    timestamptz not null default now(),
        constraint products_reserved_within_on_hand check (reserved <= on_hand)
      )`.execute(db);
  },
};

const createReservations: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table reservations (
        reservation_id text primary key,
        owner_user_id  text not null,
        status         text not null check (status in ('held', 'committed', 'released', 'expired')),
        created_at     timestamptz not null default now(),
        expires_at     timestamptz not null,
        closed_at      timestamptz
      )`.execute(db);
    // The sweeper only ever looks for held reservations past their expiry.
    await sql`
      create index reservations_held_by_expiry on reservations (expires_at)
        where status = 'held'`.execute(db);
    await sql`
      create table reservation_items (
        reservation_id text not null references reservations (reservation_id),
        sku            text collate "C" not null references products (sku),
        position       integer not null,
        quantity       integer not null check (quantity > 0),
        currency_code  text not null,
        price_minor    bigint not null,
        primary key (reservation_id, sku)
      )`.execute(db);
  },
};

const allowReturnedReservations: Migration = {
  async up(db: Kysely<unknown>) {
    // A committed reservation whose order was cancelled gets its stock back
    // (ReturnReservation). The status CHECK of 0002 is widened rather than
    // edited in place: 0002 has shipped, and databases that ran it keep its
    // name for the constraint (PostgreSQL's default, on PGlite too).
    await sql`
      alter table reservations
        drop constraint reservations_status_check,
        add constraint reservations_status_check
          check (status in ('held', 'committed', 'released', 'expired', 'returned')),
        add column returned_at timestamptz`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The outbox comes first: it is shared code, named 0000_*, and every
 * later migration may assume it exists.
 */
export const migrations: Record<string, Migration> = {
  ...outboxMigrations,
  '0001_create_products': createProducts,
  '0002_create_reservations': createReservations,
  '0003_allow_returned_reservations': allowReturnedReservations,
};
