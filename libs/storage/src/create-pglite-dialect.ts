import type { PGlite, Results } from '@electric-sql/pglite';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { Logger } from '@switchboard/logger';
import { createConnectionLock, type ConnectionLock } from './create-connection-lock';
import { quoteIdentifier } from './quote-identifier';

export interface PgliteDialectOptions {
  /** Used to warn about a caller that waits suspiciously long for the connection. */
  logger?: Logger;
  /** After how long a waiter is reported as probably deadlocked; default 5 s. */
  slowAcquireWarningMs?: number;
}

export interface PgliteDialect extends Dialect {
  /**
   * Runs `fn` while holding the one connection, as a Kysely transaction would.
   * For work on the PGlite instance itself (LISTEN), which must not land in the
   * middle of somebody's transaction.
   */
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * A Kysely dialect over one PGlite instance. PGlite is a single session, so the
 * driver hands the one connection to one caller at a time, in arrival order,
 * and holds it from acquisition to release: a Kysely transaction (BEGIN …
 * COMMIT) therefore never has a concurrent caller's statement run inside it.
 * SQL and results follow the PostgreSQL dialect, so queries behave as they do
 * against a server.
 */
export function createPgliteDialect(
  pglite: PGlite,
  options: PgliteDialectOptions = {},
): PgliteDialect {
  const lock = createConnectionLock();
  const driver = new PgliteDriver(pglite, lock, options);
  return {
    createDriver: () => driver,
    createQueryCompiler: () => new PostgresQueryCompiler(),
    // PostgreSQL's adapter: the migration lock is a session advisory lock, which
    // PGlite supports; it is also harmless since the migrator holds the only connection.
    createAdapter: () => new PostgresAdapter(),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    runExclusive: (fn) => driver.runExclusive(fn),
  };
}

class PgliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #lock: ConnectionLock;
  readonly #connection: PgliteConnection;
  readonly #options: PgliteDialectOptions;
  #closing = false;
  #closed = false;

  constructor(pglite: PGlite, lock: ConnectionLock, options: PgliteDialectOptions) {
    this.#pglite = pglite;
    this.#lock = lock;
    this.#options = options;
    this.#connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  // No abort signal here: when a caller gives up waiting, Kysely releases the
  // connection as soon as it is granted, which keeps the queue consistent.
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#acquire();
    return this.#connection;
  }

  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await fn();
    } finally {
      this.#lock.release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#closing) throw new Error('the PGlite database is closed');
    const warnAfter = this.#options.slowAcquireWarningMs ?? 5000;
    // A query on `db` issued inside `db.transaction()` (instead of on the
    // transaction handle) waits for the transaction's own connection forever.
    // On a server that merely uses a second connection, so the bug hides until
    // PGlite; saying so in the log saves a long search.
    const timer = setTimeout(() => {
      this.#options.logger?.warn(
        { waitedMs: warnAfter, waiting: this.#lock.waiting },
        'still waiting for the PGlite connection; a query on `db` inside a transaction deadlocks — use the transaction handle',
      );
    }, warnAfter);
    timer.unref();
    try {
      await this.#lock.acquire();
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      this.#lock.release();
      throw new Error('the PGlite database is closed');
    }
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      statement = 'start transaction';
      if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) statement += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(
      CompiledQuery.raw('commit'),
    );
    // As on a server: COMMIT of a transaction an earlier error aborted answers
    // ROLLBACK instead of failing, and nothing was saved.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`),
    );
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async releaseConnection(): Promise<void> {
    this.#lock.release();
  }

  async destroy(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    // Queue behind everyone already waiting so their work completes first.
    await this.#lock.acquire();
    try {
      if (!this.#pglite.closed) await this.#pglite.close();
    } finally {
      this.#closed = true;
      this.#lock.release();
    }
  }
}

const AFFECTING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

// PGlite is not the pg driver, so instrumentation-pg never sees it; these
// spans stand in, named and shaped like that driver's (pg.query:<OPERATION>).
const tracer = trace.getTracer('switchboard/storage');
const MAX_QUERY_TEXT = 2048;

/**
 * Runs one query in a CLIENT span when a traced call or event is active, as
 * instrumentation-pg does with requireParentSpan: polling loops outside any
 * trace start none.
 */
function traced<T>(sqlText: string, run: () => Promise<T>): Promise<T> {
  if (trace.getActiveSpan() === undefined) return run();
  const operation = /^\s*([a-z]+)/i.exec(sqlText)?.[1]?.toUpperCase() ?? 'QUERY';
  return tracer.startActiveSpan(
    `pg.query:${operation}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': operation,
        'db.query.text': sqlText.slice(0, MAX_QUERY_TEXT),
        'db.client': 'pglite',
      },
    },
    async (span) => {
      try {
        return await run();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return traced(compiledQuery.sql, () => this.#execute<R>(compiledQuery));
  }

  async #execute<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const parameters = compiledQuery.parameters;
    let result: Results<R> | undefined;
    if (parameters.length === 0) {
      // Without parameters pg uses the simple protocol, which allows several
      // statements in one string (handy in migrations); do the same here.
      const results = (await this.#pglite.exec(compiledQuery.sql, {
        rowMode: 'object',
      })) as Results<R>[];
      result = results.at(-1);
    } else {
      result = await this.#pglite.query<R>(compiledQuery.sql, [...parameters], {
        rowMode: 'object',
      });
    }
    if (!result) return { rows: [] };
    const command = result.command?.toUpperCase();
    if (command === 'COMMIT' || command === 'ROLLBACK') {
      // Same shape as Kysely's pg driver, so commit can tell a rolled-back transaction.
      return { rows: [{ command } as R] };
    }
    const affected = result.rowCount ?? result.affectedRows;
    return {
      numAffectedRows:
        command && AFFECTING_COMMANDS.has(command) ? BigInt(affected ?? 0) : undefined,
      rows: result.rows ?? [],
    };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    // Same as the pg setup here, which configures no cursor: results come whole.
    throw new Error('streaming queries is not supported; page with limit/offset or keyset instead');
  }
}
