import { sql, type Kysely, type Migration } from '@switchboard/storage';

/** One row per event a consumer group's handlers have applied to this database. */
export interface InboxTable {
  /** CloudEvents `id`: a redelivery or a re-publish of the same event has the same one. */
  event_id: string;
  type: string;
  topic: string;
  partition: number;
  offset: bigint;
  processed_at: Date;
}

export interface InboxDatabase {
  inbox: InboxTable;
}

/**
 * Spread into a consuming service's migrations, next to outboxMigrations;
 * the name sorts before every service migration (`0001_...`).
 */
export const inboxMigrations: Record<string, Migration> = {
  '0000_create_inbox': {
    async up(db: Kysely<unknown>) {
      // The primary key is the whole point: inserting an event id a second
      // time conflicts, which is how a handler learns it already ran.
      await sql`
        create table inbox (
          event_id text primary key,
          type text not null,
          topic text not null,
          partition integer not null,
          "offset" bigint not null,
          processed_at timestamptz not null default now()
        )`.execute(db);
      // Retention deletes by age; without this every prune scans the table.
      await sql`create index inbox_processed_at on inbox (processed_at)`.execute(db);
    },
  },
};
