import { isRetryableTransactionError, type Kysely } from '@switchboard/storage';

const MAX_ATTEMPTS = 3;

/**
 * Runs `fn` in a transaction. When `db` already is one (a caller composing
 * several steps) it joins it instead of nesting. A deadlock or serialization
 * failure rolls back the whole transaction, so it is retried as a whole.
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
