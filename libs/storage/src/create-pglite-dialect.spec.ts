import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { Kysely, sql } from 'kysely';
import { createLogger } from '@switchboard/logger';
import { createPgliteDialect } from './create-pglite-dialect';
import { pgliteParsers } from './type-parsers';

interface Db {
  items: { id: number; label: string };
}

describe('createPgliteDialect', () => {
  let pglite: PGlite;
  let db: Kysely<Db>;
  const warnings: string[] = [];

  beforeAll(async () => {
    pglite = await PGlite.create({ parsers: pgliteParsers }); // in memory: nothing to clean up
    const destination = new Writable({
      write(chunk, _enc, done) {
        warnings.push(JSON.parse(String(chunk)).msg);
        done();
      },
    });
    const logger = createLogger({ service: 'dialect-test', level: 'warn', destination });
    db = new Kysely<Db>({
      dialect: createPgliteDialect(pglite, { logger, slowAcquireWarningMs: 50 }),
    });
    await sql`create table items (id int primary key, label text not null)`.execute(db);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('rolls back to a savepoint inside a transaction', async () => {
    const trx = await db.startTransaction().execute();
    await trx.insertInto('items').values({ id: 1, label: 'kept' }).execute();
    const withSavepoint = await trx.savepoint('before "second"').execute();
    await withSavepoint.insertInto('items').values({ id: 2, label: 'undone' }).execute();
    const back = await withSavepoint.rollbackToSavepoint('before "second"').execute();
    await back.commit().execute();
    const rows = await db.selectFrom('items').select('label').execute();
    expect(rows.map((r) => r.label)).toEqual(['kept']);
  });

  it('reports a query on db inside a transaction as a likely deadlock, and it can be aborted', async () => {
    const controller = new AbortController();
    const outcome = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ id: 3, label: 'never' }).execute();
        // The mistake: `db` instead of `trx`. It waits for the connection this transaction holds.
        await sql`select 1`.execute(db, { signal: controller.signal });
      })
      .catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 120));
    expect(warnings.some((w) => w.includes('a query on `db` inside a transaction deadlocks'))).toBe(
      true,
    );
    controller.abort(new Error('gave up waiting'));
    expect(String(await outcome)).toContain('gave up waiting');
    // The transaction rolled back and released the connection: the database is usable again.
    const rows = await db.selectFrom('items').select('id').where('id', '=', 3).execute();
    expect(rows).toEqual([]);
  });

  it('runs several statements in one parameterless query, as pg does', async () => {
    await sql`insert into items values (10, 'a'); insert into items values (11, 'b')`.execute(db);
    const { rows } = await sql<{
      n: bigint;
    }>`select count(*) as n from items where id >= 10`.execute(db);
    expect(rows[0]?.n).toBe(2n);
  });

  it('gives each query of a traced call a pg.query span, and queries outside a trace none', async () => {
    const exporter = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    try {
      await sql`select 1`.execute(db);
      expect(exporter.getFinishedSpans()).toHaveLength(0);

      const tracer = trace.getTracer('spec');
      await tracer.startActiveSpan('a call', async (parent) => {
        await db.selectFrom('items').select('label').where('id', '=', 1).execute();
        await sql`select nonsense_column from items`.execute(db).catch(() => undefined);
        parent.end();
      });
      const spans = exporter.getFinishedSpans();
      const parent = spans.find((s) => s.name === 'a call');
      const queries = spans.filter((s) => s.name === 'pg.query:SELECT');
      expect(queries).toHaveLength(2);
      for (const query of queries) {
        expect(query.kind).toBe(SpanKind.CLIENT);
        expect(query.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
        expect(query.attributes['db.system.name']).toBe('postgresql');
      }
      expect(queries[0]?.attributes['db.query.text']).toMatch(/^select "label" from "items"/);
      expect(queries[1]?.status.code).toBe(2); // ERROR
    } finally {
      trace.disable();
      context.disable();
    }
  });
});
