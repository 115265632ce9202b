import { errorCatalogue, type ErrorCode, type ErrorKind } from './error-catalogue';

/** One field that broke one rule; surfaces in the status message and details. */
export interface FieldViolation {
  field: string;
  description: string;
}

export interface DomainErrorOptions {
  /** Machine-readable extras for the caller, e.g. per-SKU shortfalls. */
  details?: Record<string, unknown>;
  violations?: FieldViolation[];
  /** The underlying failure, kept for the logs and never sent to the caller. */
  cause?: unknown;
}

/**
 * A failure the domain expects and can explain to the caller. Anything thrown
 * that is not a DomainError is a bug, and the edge turns it into INTERNAL.
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;
  readonly violations: FieldViolation[];

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.kind = errorCatalogue[code];
    this.details = options.details;
    this.violations = options.violations ?? [];
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** A single INVALID_ARGUMENT naming every broken field, so callers fix all at once. */
export function createValidationError(violations: FieldViolation[]): DomainError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return new DomainError('INVALID_ARGUMENT', message, { violations });
}
