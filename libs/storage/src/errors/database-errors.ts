/**
 * Recognising the database errors a service maps to domain errors. pg raises
 * errors carrying the SQLSTATE in `code`, a `severity` and, for constraint
 * errors, the `constraint` name; the checks below read only those fields.
 * Kysely or a service may wrap the original error, so the `cause` chain is
 * followed.
 */
const MAX_CAUSE_DEPTH = 5;

interface DatabaseErrorFields {
  code: string;
  constraint?: unknown;
}

function findDatabaseError(err: unknown): DatabaseErrorFields | undefined {
  let current: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return undefined;
    const { code, severity } = current as { code?: unknown; severity?: unknown };
    // Requiring `severity` keeps Node's own codes (e.g. "EPIPE") from passing as SQLSTATEs.
    if (typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return current as DatabaseErrorFields;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The SQLSTATE of a database error (e.g. "23505"), or undefined for any other error. */
export function postgresErrorCode(err: unknown): string | undefined {
  return findDatabaseError(err)?.code;
}

function isConstraintError(err: unknown, code: string, constraint: string | undefined): boolean {
  const found = findDatabaseError(err);
  if (found?.code !== code) return false;
  return constraint === undefined || found.constraint === constraint;
}

/**
 * A unique or primary-key constraint rejected a row (SQLSTATE 23505). Pass the
 * constraint name when a table has several, e.g. to tell a duplicate e-mail
 * from a duplicate id.
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return isConstraintError(err, '23505', constraint);
}

/** A foreign-key constraint rejected a row (SQLSTATE 23503). */
export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  return isConstraintError(err, '23503', constraint);
}

/**
 * A serializable or repeatable-read transaction lost a race (SQLSTATE 40001).
 * The whole transaction may be retried.
 */
export function isSerializationFailure(err: unknown): boolean {
  return postgresErrorCode(err) === '40001';
}

/**
 * The server rolled the transaction back because it lost a race: a
 * serialization failure (40001) or a deadlock (40P01). Retrying the whole
 * transaction is the expected response to either.
 */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = postgresErrorCode(err);
  return code === '40001' || code === '40P01';
}
