import { sql, type Kysely, type Migration } from '@switchboard/storage';

/** The outbox table, as services that produce events see it. */
export interface OutboxTable {
  /** Commit order within one database: the relay publishes in this order. */
  id: bigint;
  event_id: string;
  topic: string;
  key: string;
  type: string;
  /** CloudEvents headers, exactly as they will be published. */
  headers: string;
  payload: Uint8Array;
  /**
   * The W3C trace context (JSON carrier) active when the event was appended,
   * so the relay's producer span joins that trace however late it publishes.
   */
  trace_context: string | null;
  created_at: Date;
  published_at: Date | null;
}

export interface OutboxLeaseTable {
  name: string;
  holder: string;
  expires_at: Date;
}

export interface OutboxDatabase {
  outbox: OutboxTable;
  outbox_lease: OutboxLeaseTable;
}

/**
 * Spread first into a producing service's migrations; the name sorts before
 * every service migration (`0001_...`).
 */
export const outboxMigrations: Record<string, Migration> = {
  '0000_create_outbox': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table outbox (
          id bigserial primary key,
          event_id text not null unique,
          topic text not null,
          key text not null,
          type text not null,
          headers text not null,
          payload bytea not null,
          created_at timestamptz not null default now(),
          published_at timestamptz
        )`.execute(db);
      // The relay only ever scans unpublished rows; a partial index keeps that
      // scan small however much history the table holds.
      await sql`create index outbox_unpublished on outbox (id) where published_at is null`.execute(
        db,
      );
      await sql`
        create table outbox_lease (
          name text primary key,
          holder text not null,
          expires_at timestamptz not null
        )`.execute(db);
    },
  },
  // Additive and nullable: rows appended before it, or without a trace, publish as before.
  '0000_outbox_trace_context': {
    async up(db: Kysely<unknown>) {
      await sql`alter table outbox add column if not exists trace_context text`.execute(db);
    },
  },
};
