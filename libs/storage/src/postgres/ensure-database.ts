import pg from 'pg';
import type { Logger } from '@switchboard/logger';
import { backoffDelay, sleep as wait } from '@switchboard/timing';
import { postgresErrorCode } from '../errors/database-errors';
import { quoteIdentifier } from './quote-identifier';
import { StorageError, describeCause } from '../errors/storage-error';

export interface EnsureDatabaseOptions {
  /** Connection URL naming the database to use. */
  url: string;
  /** The database the URL names ('' when it names none: nothing to create). */
  database: string;
  /** The URL with its password masked. */
  location: string;
  logger: Logger;
  connectTimeoutMs?: number;
  /**
   * How long to keep trying while no server answers, or it is still starting
   * (default 0: fail at once). Launchers start the services and the database
   * together, and an orchestrator may start them in any order.
   */
  waitForServerMs?: number;
  /** Injected for tests; the pause between attempts. */
  sleep?: (ms: number) => Promise<unknown>;
}

/** Between tries while the server is not up yet: 200 ms, doubling, at most 2 s. */
const SERVER_WAIT = { initialMs: 200, maxMs: 2_000 };

const INVALID_CATALOG_NAME = '3D000'; // the database does not exist
const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';
const OBJECT_IN_USE = '55006'; // the template database is busy
const INSUFFICIENT_PRIVILEGE = '42501';
const CANNOT_CONNECT_NOW = '57P03'; // the server is starting up or shutting down

const UNREACHABLE_HINT =
  'is the server running? `npm start` starts the local one with the services, ' +
  '`npx nx run postgres:serve` starts it alone; otherwise check DATABASE_URL';

/**
 * Makes sure the service's database exists, creating it on first start so a
 * fresh server needs no manual setup. Connecting to the database first means
 * an existing one works without any rights on the maintenance database.
 * Two replicas starting together may both try to create it; the loser's
 * "already exists" counts as success.
 */
export async function ensureDatabase(
  options: EnsureDatabaseOptions,
): Promise<'created' | 'existed'> {
  const { url, database, location } = options;
  const waitUntil = Date.now() + (options.waitForServerMs ?? 0);
  const sleep = options.sleep ?? wait;
  for (let attempt = 1; ; attempt++) {
    try {
      await withClient(url, options.connectTimeoutMs, async () => undefined);
      return 'existed';
    } catch (err) {
      const code = postgresErrorCode(err);
      // Not there yet (nothing answers, or it is starting): wait, within the bound.
      const notYet = code === undefined || code === CANNOT_CONNECT_NOW;
      if (notYet && Date.now() < waitUntil) {
        if (attempt === 1) {
          options.logger.info(
            { reason: describeCause(err) },
            `waiting for PostgreSQL at ${location}`,
          );
        }
        await sleep(backoffDelay(SERVER_WAIT, attempt));
        continue;
      }
      if (code === INVALID_CATALOG_NAME && database) break;
      // No SQLSTATE: nothing that speaks PostgreSQL answered. The usual cause
      // on a laptop is a service started without the local server.
      const hint = code === undefined ? `; ${UNREACHABLE_HINT}` : '';
      const waited = attempt > 1 ? ` (still, after ${options.waitForServerMs} ms of trying)` : '';
      throw new StorageError(
        `cannot connect to PostgreSQL at ${location}${waited}: ${describeCause(err)}${hint}`,
        location,
        { cause: err },
      );
    }
  }

  const created = await createDatabase(options);
  options.logger.info(
    { database },
    created ? 'created database' : 'database was created concurrently',
  );
  return created ? 'created' : 'existed';
}

async function createDatabase(options: EnsureDatabaseOptions): Promise<boolean> {
  const { database, location } = options;
  const statement = `CREATE DATABASE ${quoteIdentifier(database)}`;
  let lastError: unknown;
  for (const maintenance of ['postgres', 'template1']) {
    const maintenanceUrl = withDatabase(options.url, maintenance);
    for (let attempt = 1; ; attempt++) {
      try {
        await withClient(maintenanceUrl, options.connectTimeoutMs, (client) =>
          client.query(statement),
        );
        return true;
      } catch (err) {
        const code = postgresErrorCode(err);
        // Another replica won the race: pg reports it as either code.
        if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
        // CREATE DATABASE copies template1 and fails while anyone is connected to it.
        if (code === OBJECT_IN_USE && attempt < 5) {
          await new Promise((r) => setTimeout(r, 100 * attempt));
          continue;
        }
        lastError = err;
        if (code === INVALID_CATALOG_NAME) break; // no such maintenance database: try the next
        if (code === INSUFFICIENT_PRIVILEGE) {
          throw new StorageError(
            `database ${database} does not exist at ${location} and this user may not create it (${describeCause(err)}): create it, or grant CREATEDB`,
            location,
            { cause: err },
          );
        }
        throw new StorageError(
          `cannot create database ${database} at ${location}: ${describeCause(err)}`,
          location,
          { cause: err },
        );
      }
    }
  }
  throw new StorageError(
    `cannot create database ${database} at ${location}: no maintenance database to connect to (${describeCause(lastError)})`,
    location,
    { cause: lastError },
  );
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(
  url: string,
  connectTimeoutMs: number | undefined,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs ?? 5000,
  });
  // A connection dropped mid-way is reported through the awaited call below;
  // this handler only stops the 'error' event from crashing the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
