import { StorageError } from '@switchboard/storage';

const MAX_DEPTH = 6;

/**
 * SQLSTATEs that say "the database is not there for you right now", not
 * "your statement is wrong": class 08 (connection exception), 57P01–57P03
 * (server shutting down, crashed, not yet accepting connections) and 53300
 * (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** Errors pg and Kysely raise without a SQLSTATE when a connection is lost or gone. */
const UNAVAILABLE_MESSAGE =
  /connection terminated|not queryable|timeout exceeded when trying to connect|driver has already been destroyed/i;

/**
 * True when an error means the database could not be reached, rather than
 * that a handler or its statement failed. Looks through `cause` chains and
 * AggregateErrors, since the storage layer and Kysely wrap driver errors.
 *
 * Plain socket errors (ECONNRESET, ECONNREFUSED) are deliberately not
 * matched: a handler calling some other service can raise them too. The inbox
 * consumer settles those by pinging the database instead.
 */
export function isStorageUnavailableError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (current: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH || typeof current !== 'object' || current === null) return false;
    if (seen.has(current)) return false;
    seen.add(current);
    if (current instanceof StorageError) return true;
    const { code, severity, message, cause } = current as {
      code?: unknown;
      severity?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && typeof severity === 'string' && UNAVAILABLE_SQLSTATE.test(code))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    if (current instanceof AggregateError && current.errors.some((e) => visit(e, depth + 1)))
      return true;
    return visit(cause, depth + 1);
  };
  return visit(err, 0);
}
