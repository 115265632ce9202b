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
 * libs/storage's StorageError: it is raised only when the server cannot be
 * reached. Known by name, so that this lib stays free of storage's driver.
 */
const STORAGE_ERROR_NAME = 'StorageError';

/**
 * True when an error means the database could not be reached, rather than
 * that a handler or its statement failed: the inbox then waits for the
 * database instead of counting an attempt, and a call answers UNAVAILABLE
 * (retry later) instead of INTERNAL. Looks through `cause` chains and
 * AggregateErrors, since the storage layer and Kysely wrap driver errors.
 *
 * Plain socket errors (ECONNRESET, ECONNREFUSED) are deliberately not
 * matched: code calling some other service can raise them too. The inbox
 * consumer settles those by pinging the database instead.
 */
export function isDatabaseUnavailableError(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (current: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH || typeof current !== 'object' || current === null) return false;
    if (seen.has(current)) return false;
    seen.add(current);
    const { name, code, severity, message, cause } = current as {
      name?: unknown;
      code?: unknown;
      severity?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (current instanceof Error && name === STORAGE_ERROR_NAME) return true;
    if (typeof code === 'string' && typeof severity === 'string' && UNAVAILABLE_SQLSTATE.test(code))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    if (current instanceof AggregateError && current.errors.some((e) => visit(e, depth + 1)))
      return true;
    return visit(cause, depth + 1);
  };
  return visit(err, 0);
}
