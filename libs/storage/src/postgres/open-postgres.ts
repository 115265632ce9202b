import { PostgresDialect, type Dialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '@switchboard/logger';
import { StorageError, describeCause } from '../errors/storage-error';
import type { Storage, StorageOptions } from '../storage';
import type { StorageTarget } from '../target/resolve-storage-target';
import { createPgNotificationListener } from './create-pg-notification-listener';
import { ensureDatabase } from './ensure-database';
import { pgTypes } from './type-parsers';

/** A service's database on the server, ready for Kysely, with LISTEN on a connection of its own. */
export interface PostgresConnection {
  readonly dialect: Dialect;
  readonly listen: Storage<unknown>['listen'];
  /** Runs before the pool's connections close. */
  closeListeners(): Promise<void>;
}

/**
 * Creates the database when missing (waiting for a server that is still
 * starting), then opens a pool whose connection failures never crash the
 * process and always name the database.
 */
export async function openPostgres(
  target: StorageTarget,
  options: StorageOptions,
  logger: Logger,
): Promise<PostgresConnection> {
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
