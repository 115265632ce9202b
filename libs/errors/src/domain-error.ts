import { errorCatalogue, type ErrorCode, type ErrorKind } from './error-catalogue';

/** One field that broke one rule; surfaces in the status message and details. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * A state of things the caller must change before the call can succeed, e.g.
 * one sku's stock shortfall. `type` is a stable class of condition, `subject`
 * what it concerns.
 */
export interface PreconditionViolation {
  type: string;
  subject: string;
  description: string;
}

export interface DomainErrorOptions {
  /**
   * Machine-readable extras for the caller, e.g. the sku not found. They go
   * out as strings; a `retryAfterMs` number also tells the caller when to
   * come back.
   */
  details?: Record<string, unknown>;
  violations?: FieldViolation[];
  preconditions?: PreconditionViolation[];
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
  readonly preconditions: PreconditionViolation[];

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DomainError';
    this.code = code;
    this.kind = errorCatalogue[code];
    this.details = options.details;
    this.violations = options.violations ?? [];
    this.preconditions = options.preconditions ?? [];
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
