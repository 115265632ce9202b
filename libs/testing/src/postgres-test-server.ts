import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The local server (`node tools/postgres/local-postgres.mjs`, as `npm start` runs it);
 * `npm test` starts its own and sets TEST_DATABASE_URL.
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/** The real PostgreSQL server integration tests use (any database on it: a maintenance one is fine). */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

export interface TestDatabase {
  /** The database's name, unique to this suite. */
  readonly name: string;
  /** A URL to the server naming this database. */
  readonly url: string;
  /** Drops the database, disconnecting anyone still on it. Safe to call twice. */
  drop(): Promise<void>;
}

/**
 * A fresh, uniquely named database on the test server, so suites running in
 * parallel (and leftovers of a crashed run) never see each other's tables.
 * Drop it in afterAll. Throws, with instructions, when no server answers: a
 * storage test must fail rather than silently pass without a database.
 */
export async function createTestDatabase(
  prefix = 'test',
  serverUrl = testDatabaseUrl(),
): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withServer(serverUrl, (client) => client.query(`CREATE DATABASE ${quote(name)}`));
  const url = withDatabase(serverUrl, name);
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    drop: () => (dropped ??= dropDatabase(name, serverUrl)),
  };
}

/** Drops a database on the test server if it exists, ending its connections first. */
export async function dropDatabase(name: string, serverUrl = testDatabaseUrl()): Promise<void> {
  await withServer(serverUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`),
  );
}

/** Whether the test server has a database of this name: for tests of who creates and drops them. */
export async function databaseExists(
  name: string,
  serverUrl = testDatabaseUrl(),
): Promise<boolean> {
  const { rows } = await withServer(serverUrl, (client) =>
    client.query('select 1 from pg_database where datname = $1', [name]),
  );
  return rows.length === 1;
}

/** A lower-case name of at most 63 bytes (PostgreSQL's limit), unique per call. */
function uniqueName(prefix: string): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 30) || 'test';
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function masked(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable TEST_DATABASE_URL)';
  }
}

async function withServer<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined); // failures surface through the awaited calls
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw unreachable(url, err);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function unreachable(url: string, cause: unknown): Error {
  return new Error(
    [
      `PostgreSQL is not reachable at ${masked(url)} (${describe(cause)}).`,
      'The storage tests need a real server. `npm test` starts one for the whole run and sets',
      'TEST_DATABASE_URL; to run jest on its own, start the local one in another shell:',
      '  node tools/postgres/local-postgres.mjs      # PostgreSQL 18 on 127.0.0.1:5432, data in ./.data/postgres',
      `or point TEST_DATABASE_URL at a server of your own (default ${DEFAULT_TEST_DATABASE_URL.replace(':postgres@', ':***@')}).`,
    ].join('\n'),
    { cause },
  );
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0)
    return err.errors.map(describe).join('; ');
  if (err instanceof Error)
    return err.message || String((err as { code?: unknown }).code ?? err.name);
  return String(err);
}
