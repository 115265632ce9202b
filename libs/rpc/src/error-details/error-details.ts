import type { FieldViolation, PreconditionViolation } from '@switchboard/errors';

/** What a failed call's standard error details say, decoded into plain data. */
export interface ErrorDetails {
  /** ErrorInfo's reason: the stable code of the catalogue; undefined when none was sent. */
  reason?: string;
  /** ErrorInfo's metadata: the error's details, as strings. */
  metadata: Record<string, string>;
  /** BadRequest's field violations. */
  violations: FieldViolation[];
  /** PreconditionFailure's violations, e.g. one per sku short of stock. */
  preconditions: PreconditionViolation[];
  /** RetryInfo's delay, in milliseconds. */
  retryAfterMs?: number;
}
