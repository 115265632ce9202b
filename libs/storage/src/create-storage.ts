import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import type { Migration } from 'kysely/migration';
import pg from 'pg';
import type { Logger } from '@switchboard/logger';
import {
  createPgNotificationListener,
  assertChannelName,
  type ListenOptions,
  type Unlisten,
} from './create-pg-notification-listener';
import { ensureDatabase } from './ensure-database';
import { resolveStorageTarget, type StorageTarget } from './resolve-storage-target';
import { runMigrations } from './run-migrations';
import { StorageError, describeCause } from './storage-error';
import { pgTypes } from './type-parsers';

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

interface Backend {
  dialect: Dialect;
  listen: Storage<unknown>['listen'];
  /** Runs before the connections close. */
  closeListeners(): Promise<void>;
}

/**
 * Opens a service's database on a PostgreSQL server — the one `npm start`
 * runs in development, yours in production — creating it when missing, and
 * applies pending migrations.
 */
export async function createStorage<DB>(options: StorageOptions): Promise<Storage<DB>> {
  const target = resolveStorageTarget(options);
  const logger = options.logger.child({ storage: target.kind, location: target.location });
  const backend = await openServer(target, options, logger);
  const db = new Kysely<DB>({ dialect: backend.dialect });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await backend
        .closeListeners()
        .catch((err) => logger.warn({ err }, 'closing listeners failed'));
      await db.destroy();
    })();
    return closing;
  };

  try {
    await runMigrations(db as Kysely<unknown>, options.migrations, {
      service: options.service,
      location: target.location,
      logger,
    });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }

  const pingTimeoutMs = options.pingTimeoutMs ?? 2000;
  logger.info('storage ready');

  return {
    db,
    kind: target.kind,
    location: target.location,

    async ping() {
      if (closing)
        throw new StorageError(`storage at ${target.location} is closed`, target.location);
      let timer: NodeJS.Timeout | undefined;
      // A race rather than an abort signal: a health check must answer in time
      // even while the pool is still trying to connect; the abandoned attempt
      // is bounded by connectTimeoutMs.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const message = `ping of ${target.location} timed out after ${pingTimeoutMs} ms`;
          reject(new StorageError(message, target.location));
        }, pingTimeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
      } catch (err) {
        if (err instanceof StorageError) throw err;
        const message = `ping of ${target.location} failed: ${describeCause(err)}`;
        throw new StorageError(message, target.location, { cause: err });
      } finally {
        clearTimeout(timer);
      }
    },

    async listen(channel, onNotify, listenOptions) {
      assertChannelName(channel);
      if (closing)
        throw new StorageError(`storage at ${target.location} is closed`, target.location);
      return backend.listen(channel, onNotify, listenOptions);
    },

    close,
  };
}

async function openServer(
  target: StorageTarget,
  options: StorageOptions,
  logger: Logger,
): Promise<Backend> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  await ensureDatabase({
    ...target,
    logger,
    connectTimeoutMs,
    waitForServerMs: options.waitForServerMs ?? 60_000,
  });

  const applicationName = `switchboard-${options.service}`;
  const pool = new pg.Pool({
    connectionString: target.url,
    types: pgTypes,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: applicationName,
  });
  // An idle connection that breaks is dropped from the pool; without a
  // listener pg would throw the error and crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  // pg also emits 'error' on a client that is checked out when its connection
  // dies (the running query fails too). The pool only listens while a client
  // is idle, so without this a database restart mid-query crashes the process.
  // The failed query reports the problem; the pool discards the client on release.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.debug({ err }, 'database connection failed while in use'));
  });

  const listener = createPgNotificationListener({
    connectionString: target.url,
    location: target.location,
    logger,
    applicationName: `${applicationName}-listener`,
    connectTimeoutMs,
  });

  return {
    dialect: new PostgresDialect({
      pool: {
        options: pool.options,
        end: () => pool.end(),
        // Every failure to get a connection names the database it was for.
        connect: async () => {
          try {
            return await pool.connect();
          } catch (err) {
            throw new StorageError(
              `cannot connect to PostgreSQL at ${target.location}: ${describeCause(err)}`,
              target.location,
              { cause: err },
            );
          }
        },
      },
    }),
    listen: (channel, onNotify, listenOptions) => listener.listen(channel, onNotify, listenOptions),
    closeListeners: () => listener.close(),
  };
}
