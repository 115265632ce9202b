import type { Kysely } from 'kysely';
import { isRetryableTransactionError } from './errors/database-errors';

const MAX_ATTEMPTS = 3;

/**
 * Runs `fn` in a transaction. When `db` already is one (a caller composing
 * several steps, an inbox handler's transaction, or a test that rolls back on
 * purpose) it joins it instead of nesting. A deadlock or serialization failure
 * rolls back the whole transaction, so the whole of it is retried at once:
 * the lock orders are chosen so that should not happen, and a retry is cheaper
 * than a user-facing error. No back-off: the conflicting transaction has
 * already ended when PostgreSQL reports the failure.
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
