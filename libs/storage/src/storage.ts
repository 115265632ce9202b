import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Logger } from '@switchboard/logger';
import type { ListenOptions, Unlisten } from './postgres/create-pg-notification-listener';

export interface StorageOptions {
  /** Short service key, e.g. 'order': names the database, switchboard_<service>. */
  service: string;
  /** Shared server URL (DATABASE_URL); the service gets database switchboard_<service> on it. */
  databaseUrl?: string;
  /** <SERVICE>_DATABASE_URL, used as is; wins over databaseUrl. */
  serviceDatabaseUrl?: string;
  /** The service's migrations by name, applied in name order at start. */
  migrations: Record<string, Migration>;
  logger: Logger;
  /** Largest number of server connections (default 10). */
  poolSize?: number;
  /** Bound on ping() (default 2000 ms). */
  pingTimeoutMs?: number;
  /** Bound on opening a server connection (default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * At start, how long to wait for a server that does not answer yet or is
   * still starting (default 60000 ms; 0 fails at once). `npm start` starts the
   * database and the services together, and a fresh cluster takes seconds.
   */
  waitForServerMs?: number;
}

export interface Storage<DB> {
  readonly db: Kysely<DB>;
  readonly kind: 'postgres';
  /** The server URL with its password masked. */
  readonly location: string;
  /** `select 1` within pingTimeoutMs; rejects when the database is unreachable or closed. */
  ping(): Promise<void>;
  /**
   * LISTEN on `channel` (lower-case letters, digits, underscores) until the
   * returned function is called. Resolves once the subscription is active.
   * Notifications sent inside a transaction arrive only after it commits, and
   * never if it rolls back. Send with `select pg_notify('channel', 'payload')`.
   * `options.onReconnect` runs after a lost connection is back (notifications
   * in between are lost).
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<Unlisten>;
  /** Ends listeners and connections, after in-flight work. Safe to call twice. */
  close(): Promise<void>;
}
