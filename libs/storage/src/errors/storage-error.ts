/**
 * A storage failure that is not the caller's fault: the database cannot be
 * reached, created, migrated, or the storage is already closed. The message
 * always names the target (with the password masked) so that a failed start-up
 * says which database it was trying to use.
 */
export class StorageError extends Error {
  constructor(
    message: string,
    /** The server URL with the password masked. */
    readonly location: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/**
 * A readable one-line reason for a low-level failure. Node reports a refused
 * connection to a host with several addresses (e.g. "localhost": ::1 and
 * 127.0.0.1) as an AggregateError whose own message is empty, which would
 * otherwise leave the operator with nothing to go on.
 */
export function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    const inner = err.errors.map((e) => describeCause(e));
    return [...new Set(inner)].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.message) return err.message;
    if (typeof code === 'string') return code;
    return err.name;
  }
  return String(err);
}
