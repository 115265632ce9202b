import { isRetryableTransactionError, type Kysely } from '@switchboard/storage';

const MAX_ATTEMPTS = 3;

/**
 * Runs `fn` in a transaction, or inside `db` when it already is one (an inbox
 * handler's transaction, or a test that rolls back on purpose). A deadlock or
 * serialization failure rolls back the whole transaction, so the whole of it
 * is retried: cheaper than a user-facing error.
 */
export async function runInTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
    }
  }
}
