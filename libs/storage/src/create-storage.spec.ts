import { connect, createServer } from 'node:net';
import { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import pg from 'pg';
import { isDatabaseUnavailableError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import {
  createTestDatabase,
  databaseExists,
  dropDatabase,
  testDatabaseUrl,
  type TestDatabase,
} from '@switchboard/testing';
import { createStorage } from './create-storage';
import type { Storage, StorageOptions } from './storage';
import {
  isRetryableTransactionError,
  isSerializationFailure,
  isUniqueViolation,
  postgresErrorCode,
} from './errors/database-errors';

interface TestDb {
  counters: { id: string; value: number };
  accounts: { id: string; balance: bigint };
  migration_runs: { name: string };
  events: { id: number };
}

const createTables: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('counters')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('value', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('balance', 'bigint', (c) => c.notNull())
      .execute();
    // No "if not exists": applying this migration twice would fail loudly.
    await sql`create table migration_runs (name text not null)`.execute(db);
    await sql`insert into migration_runs (name) values ('0001')`.execute(db);
  },
};

const seedCounter: Migration = {
  async up(db: Kysely<unknown>) {
    // Two statements in one string, as migrations often have.
    await sql`insert into counters (id, value) values ('c', 0); insert into migration_runs (name) values ('0002')`.execute(
      db,
    );
  },
};

const migrations = { '0001_create_tables': createTables, '0002_seed_counter': seedCounter };

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'storage-test', level: 'info', destination }) };
}

const quiet = createLogger({ service: 'storage-test', level: 'silent' });

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createStorage', () => {
  /** The suite's one database: every open() sees the same data. */
  let database: TestDatabase;
  let storage: Storage<TestDb>;
  // Grows when a test adds a migration: every later open must declare it too.
  let declared: Record<string, Migration> = migrations;

  const open = (overrides: Partial<StorageOptions> = {}) =>
    createStorage<TestDb>({
      service: 'probe',
      migrations: declared,
      logger: quiet,
      serviceDatabaseUrl: database.url,
      ...overrides,
    });

  beforeAll(async () => {
    database = await createTestDatabase('storage_spec');
    storage = await open();
  });

  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  it('reports its kind and location', () => {
    expect(storage.kind).toBe('postgres');
    expect(storage.location).toContain(':***@');
  });

  it('applies migrations once and keeps data across a reopen', async () => {
    const rows = await storage.db
      .selectFrom('migration_runs')
      .select('name')
      .orderBy('name')
      .execute();
    expect(rows.map((r) => r.name)).toEqual(['0001', '0002']);
    await storage.db.updateTable('counters').set({ value: 7 }).where('id', '=', 'c').execute();
    await storage.close();

    const { lines, logger } = captureLogs();
    storage = await open({ logger });
    const applied = lines.filter((l) => l.msg === 'applied migration');
    expect(applied).toEqual([]);
    const counter = await storage.db
      .selectFrom('counters')
      .select('value')
      .where('id', '=', 'c')
      .executeTakeFirst();
    expect(counter?.value).toBe(7);
    await storage.db.updateTable('counters').set({ value: 0 }).where('id', '=', 'c').execute();
  });

  it('applies only the new migration when one is added', async () => {
    await storage.close();
    const { lines, logger } = captureLogs();
    const addEvents: Migration = {
      async up(db: Kysely<unknown>) {
        await sql`create table events (id integer primary key)`.execute(db);
      },
    };
    declared = { ...migrations, '0003_create_events': addEvents };
    storage = await open({ logger });
    expect(lines.filter((l) => l.msg === 'applied migration').map((l) => l.migration)).toEqual([
      '0003_create_events',
    ]);
    const runs = await storage.db.selectFrom('migration_runs').select('name').execute();
    expect(runs).toHaveLength(2);
  });

  it('applies a migration added later whose name sorts before ones already applied', async () => {
    // A library's `0000_...` migration (the outbox's trace column) shipped
    // after a service's own ran: it must still apply, not fail the start.
    await storage.close();
    const { lines, logger } = captureLogs();
    const addLateLibraryTable: Migration = {
      async up(db: Kysely<unknown>) {
        await sql`create table late_library (id integer primary key)`.execute(db);
      },
    };
    declared = { '0000_create_late_library': addLateLibraryTable, ...declared };
    storage = await open({ logger });
    expect(lines.filter((l) => l.msg === 'applied migration').map((l) => l.migration)).toEqual([
      '0000_create_late_library',
    ]);
    await sql`insert into late_library (id) values (1)`.execute(storage.db);
  });

  it('round-trips int8 as bigint beyond 2^53, and types other common values', async () => {
    const big = 9_007_199_254_740_993n; // 2^53 + 1: a JS number would round it
    await storage.db.insertInto('accounts').values({ id: 'big', balance: big }).execute();
    const row = await storage.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', 'big')
      .executeTakeFirstOrThrow();
    expect(row.balance).toBe(big);

    const { rows } = await sql<Record<string, unknown>>`
      select 5::int8 as small, count(*) as n, 12.50::numeric as amount, date '2024-02-29' as day,
             array[1, 2]::int8[] as ids, 3::int4 as int4, true as flag`.execute(storage.db);
    expect(rows[0]).toEqual({
      small: 5n,
      n: 1n,
      amount: '12.50',
      day: '2024-02-29',
      ids: [1n, 2n],
      int4: 3,
      flag: true,
    });
    await storage.db.deleteFrom('accounts').execute();
  });

  it('recognises a unique violation, with its constraint, the same way', async () => {
    await storage.db.insertInto('accounts').values({ id: 'dup', balance: 1n }).execute();
    let caught: unknown;
    try {
      await storage.db.transaction().execute(async (trx) => {
        await trx.insertInto('accounts').values({ id: 'dup', balance: 2n }).execute();
      });
    } catch (err) {
      caught = err;
    }
    expect(postgresErrorCode(caught)).toBe('23505');
    expect(isUniqueViolation(caught)).toBe(true);
    expect(isUniqueViolation(caught, 'accounts_pkey')).toBe(true);
    expect(isUniqueViolation(caught, 'other_constraint')).toBe(false);
    expect(isUniqueViolation(new Error('duplicate'))).toBe(false);
    expect(isUniqueViolation(new Error('wrapped', { cause: caught }))).toBe(true);
    await storage.db.deleteFrom('accounts').execute();
  });

  it('recognises a serialization failure the same way', async () => {
    let caught: unknown;
    try {
      await sql`do $$ begin raise exception 'conflict' using errcode = 'serialization_failure'; end $$`.execute(
        storage.db,
      );
    } catch (err) {
      caught = err;
    }
    expect(isSerializationFailure(caught)).toBe(true);
    expect(isRetryableTransactionError(caught)).toBe(true);
    expect(isUniqueViolation(caught)).toBe(false);
  });

  it('runs 50 concurrent read-modify-write transactions without losing an update', async () => {
    await Promise.all(
      Array.from({ length: 50 }, () =>
        storage.db.transaction().execute(async (trx) => {
          // The row lock serialises writers.
          const { value } = await trx
            .selectFrom('counters')
            .select('value')
            .where('id', '=', 'c')
            .forUpdate()
            .executeTakeFirstOrThrow();
          await sleep(1); // give a broken lock every chance to interleave
          await trx
            .updateTable('counters')
            .set({ value: value + 1 })
            .where('id', '=', 'c')
            .execute();
        }),
      ),
    );
    const counter = await storage.db
      .selectFrom('counters')
      .select('value')
      .where('id', '=', 'c')
      .executeTakeFirst();
    expect(counter?.value).toBe(50);
  });

  it('never runs an outside query inside somebody else’s open transaction', async () => {
    const inside = storage.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('accounts').values({ id: 'uncommitted', balance: 1n }).execute();
        await sleep(50);
        throw new Error('roll back');
      })
      .catch((err: Error) => err.message);
    await sleep(5); // the transaction has begun and inserted
    const seen = await storage.db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', 'uncommitted')
      .execute();
    expect(seen).toEqual([]);
    expect(await inside).toBe('roll back');
  });

  it('lets exactly the affordable conditional withdrawals through under concurrency', async () => {
    await storage.db.insertInto('accounts').values({ id: 'wallet', balance: 100n }).execute();
    const results = await Promise.all(
      Array.from({ length: 25 }, () =>
        storage.db
          .updateTable('accounts')
          .set({ balance: sql`balance - 10` })
          .where('id', '=', 'wallet')
          .where('balance', '>=', 10n)
          .executeTakeFirst(),
      ),
    );
    expect(results.filter((r) => r.numUpdatedRows === 1n)).toHaveLength(10);
    const wallet = await storage.db
      .selectFrom('accounts')
      .select('balance')
      .where('id', '=', 'wallet')
      .executeTakeFirst();
    expect(wallet?.balance).toBe(0n);
    await storage.db.deleteFrom('accounts').execute();
  });

  it('delivers a notification after commit, and never for a rolled-back transaction', async () => {
    const received: string[] = [];
    const markers: string[] = [];
    const stop = await storage.listen('order_events', (payload) => received.push(payload));
    const stopMarkers = await storage.listen('markers', (payload) => markers.push(payload));

    await storage.db.transaction().execute(async (trx) => {
      await sql`select pg_notify('order_events', 'committed')`.execute(trx);
      await sleep(100);
      expect(received).toEqual([]); // not before commit
    });
    await waitFor(() => received.length === 1);
    expect(received).toEqual(['committed']);

    await storage.db
      .transaction()
      .execute(async (trx) => {
        await sql`select pg_notify('order_events', 'rolled-back')`.execute(trx);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await stop();
    await sql`select pg_notify('order_events', 'after-unlisten')`.execute(storage.db);
    // Notifications arrive in commit order: once the marker is in, the others would be too.
    await sql`select pg_notify('markers', 'end')`.execute(storage.db);
    await waitFor(() => markers.length === 1);
    await sleep(20);
    expect(received).toEqual(['committed']);
    await stopMarkers();
  });

  it('keeps other subscribers of a channel when one unsubscribes', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const stopFirst = await storage.listen('shared_channel', (p) => first.push(p));
    const stopSecond = await storage.listen('shared_channel', (p) => second.push(p));
    await sql`select pg_notify('shared_channel', 'one')`.execute(storage.db);
    await waitFor(() => first.length === 1 && second.length === 1);
    await stopFirst();
    await stopFirst(); // idempotent
    await sql`select pg_notify('shared_channel', 'two')`.execute(storage.db);
    await waitFor(() => second.length === 2);
    expect(first).toEqual(['one']);
    expect(second).toEqual(['one', 'two']);
    await stopSecond();
  });

  it('refuses to commit a transaction in which a statement failed, even if the error was caught', async () => {
    const attempt = storage.db.transaction().execute(async (trx) => {
      await trx.insertInto('accounts').values({ id: 'half', balance: 1n }).execute();
      await sql`select 1 / 0`.execute(trx).catch(() => undefined); // swallowed by mistake
    });
    await expect(attempt).rejects.toThrow('rolled back');
    const rows = await storage.db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', 'half')
      .execute();
    expect(rows).toEqual([]);
  });

  it('lets an in-flight transaction finish before close completes', async () => {
    const work = storage.db.transaction().execute(async (trx) => {
      await sleep(100);
      await trx.insertInto('accounts').values({ id: 'late', balance: 3n }).execute();
    });
    await sleep(10);
    await storage.close();
    await work;
    storage = await open();
    const row = await storage.db
      .selectFrom('accounts')
      .select('balance')
      .where('id', '=', 'late')
      .executeTakeFirst();
    expect(row?.balance).toBe(3n);
    await storage.db.deleteFrom('accounts').execute();
  });

  it('rejects channel names that would need quoting', async () => {
    await expect(storage.listen('Order-Events', () => undefined)).rejects.toThrow(
      'invalid notification channel',
    );
  });

  it('pings while open; after close ping and listen reject, and close is idempotent', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();
    await Promise.all([storage.close(), storage.close()]);
    await storage.close();
    await expect(storage.ping()).rejects.toThrow('closed');
    await expect(storage.listen('x', () => undefined)).rejects.toThrow('closed');
    await expect(storage.db.selectFrom('accounts').selectAll().execute()).rejects.toThrow();
    storage = await open();
  });
});

describe('createStorage on a PostgreSQL server', () => {
  const serverUrl = testDatabaseUrl();
  const service = () => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

  it('creates switchboard_<service> on the shared server and masks the password', async () => {
    const key = service();
    const database = `switchboard_${key}`;
    expect(await databaseExists(database)).toBe(false);
    const storage = await createStorage<TestDb>({
      service: key,
      databaseUrl: serverUrl,
      migrations,
      logger: quiet,
    });
    try {
      expect(await databaseExists(database)).toBe(true);
      expect(storage.location).toBe(
        serverUrl.replace(/:[^:@/]*@/, ':***@').replace(/\/[^/]*$/, `/${database}`),
      );
      const runs = await storage.db.selectFrom('migration_runs').select('name').execute();
      expect(runs).toHaveLength(2);
    } finally {
      await storage.close();
      await dropDatabase(database);
    }
  });

  it('lets two replicas start at once: one creates and migrates, the other waits and finds it done', async () => {
    const key = service();
    let upCalls = 0;
    const slow: Migration = {
      async up(db: Kysely<unknown>) {
        upCalls++;
        await sql`create table slow_once (id int)`.execute(db);
        await sql`select pg_sleep(0.3)`.execute(db); // widen the race window
      },
    };
    const open = () =>
      createStorage<TestDb>({
        service: key,
        databaseUrl: serverUrl,
        migrations: { ...migrations, '0003_slow': slow },
        logger: quiet,
      });
    const opened = await Promise.allSettled([open(), open()]);
    const [a, b] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
    try {
      expect(opened.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      if (!a || !b) return;
      expect(upCalls).toBe(1);
      const runs = await a.db.selectFrom('migration_runs').select('name').execute();
      expect(runs).toHaveLength(2);
      const { rows } = await sql<{ n: bigint }>`select count(*) as n from kysely_migration`.execute(
        b.db,
      );
      expect(rows[0]?.n).toBe(3n);
    } finally {
      await Promise.all([a?.close(), b?.close()]);
      await dropDatabase(`switchboard_${key}`);
    }
  });

  it('reports a real serialization failure between two repeatable-read transactions', async () => {
    const database = await createTestDatabase('storage_serial');
    const storage = await createStorage<TestDb>({
      service: 'serial',
      serviceDatabaseUrl: database.url,
      migrations,
      logger: quiet,
    });
    try {
      let release!: () => void;
      const bothRead = new Promise<void>((r) => (release = r));
      let reads = 0;
      const bump = () =>
        storage.db
          .transaction()
          .setIsolationLevel('repeatable read')
          .execute(async (trx) => {
            await trx.selectFrom('counters').select('value').execute();
            if (++reads === 2) release();
            await bothRead;
            await trx
              .updateTable('counters')
              .set({ value: sql`value + 1` })
              .execute();
          });
      const outcomes = await Promise.allSettled([bump(), bump()]);
      const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(failures).toHaveLength(1);
      expect(isSerializationFailure(failures[0]?.reason)).toBe(true);
    } finally {
      await storage.close();
      await database.drop();
    }
  });

  it('waits at start for a server that begins to answer later, as npm start brings them up together', async () => {
    const database = await createTestDatabase('storage_wait');
    const real = new URL(database.url);
    const port = await deadPort();
    const late = new URL(database.url);
    late.port = String(port);
    const lines: { msg?: string }[] = [];
    const logger = createLogger({
      service: 'storage-test',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          cb();
        },
      }),
    });
    // A loopback proxy to the real server, opened only once the service has said it waits.
    const proxy = createServer((client) => {
      const upstream = connect(Number(real.port), real.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    let storage: Storage<unknown> | undefined;
    try {
      const opening = createStorage({
        service: 'order',
        serviceDatabaseUrl: late.toString(),
        migrations: {},
        logger,
        waitForServerMs: 30_000,
      });
      while (!lines.some((l) => l.msg?.startsWith('waiting for PostgreSQL'))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      storage = await opening;
      await storage.ping();
      expect(lines.find((l) => l.msg?.startsWith('waiting for PostgreSQL'))?.msg).toContain(
        `127.0.0.1:${port}`,
      );
    } finally {
      await storage?.close();
      await new Promise((r) => proxy.close(r));
      await database.drop();
    }
  });

  it('fails to start with a message naming the target, password masked, when nothing listens', async () => {
    const port = await deadPort();
    let caught: unknown;
    try {
      await createStorage({
        service: 'order',
        databaseUrl: `postgres://postgres:hunter2hunter2@127.0.0.1:${port}/postgres`,
        migrations: {},
        logger: quiet,
        waitForServerMs: 0,
      });
    } catch (err) {
      caught = err;
    }
    const message = (caught as Error).message;
    expect(message).toContain(
      `cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:${port}/switchboard_order`,
    );
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('`npm start` starts the local one');
    expect(message).toContain('npx nx run postgres:serve');
    expect(message).not.toContain('hunter2');
    // What the inbox waits out and a call answers UNAVAILABLE for, rather than a handler's bug.
    expect(isDatabaseUnavailableError(caught)).toBe(true);
  });
});

describe('the PostgreSQL test-server helper', () => {
  const saved = process.env.TEST_DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEST_DATABASE_URL;
    else process.env.TEST_DATABASE_URL = saved;
  });

  it('fails, explaining how to get a server, when none answers', async () => {
    process.env.TEST_DATABASE_URL = `postgres://postgres:pw@127.0.0.1:${await deadPort()}/postgres`;
    const failure = createTestDatabase('unreachable');
    await expect(failure).rejects.toThrow(
      'PostgreSQL is not reachable at postgres://postgres:***@127.0.0.1:',
    );
    await expect(failure).rejects.toThrow('node tools/postgres/local-postgres.mjs');
    await expect(failure).rejects.toThrow('`npm test` starts one');
  });

  it('gives each call its own database, and drop removes it', async () => {
    const [a, b] = await Promise.all([createTestDatabase('helper'), createTestDatabase('helper')]);
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(rows[0]?.db).toBe(a.name);
    await Promise.all([a.drop(), b.drop()]);
    await expect(new pg.Client({ connectionString: a.url }).connect()).rejects.toThrow(
      'does not exist',
    );
  });
});

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
