import type { ConnectError } from '@connectrpc/connect';
import { DomainError, errorCatalogue, type ErrorCode } from '@switchboard/errors';
import { errorDetailsOf } from './error-details-of';

function isErrorCode(code: string | undefined): code is ErrorCode {
  return code !== undefined && Object.hasOwn(errorCatalogue, code);
}

/**
 * The DomainError a called service failed with, rebuilt from its details, so
 * a caller can branch on the code or pass the refusal on under the same
 * code; undefined when the failure names no code of the catalogue. Details
 * come back as the strings they were sent as, except a `retryAfterMs`, which
 * comes back as the number in RetryInfo so that passing the error on keeps it.
 */
export function domainErrorOf(err: ConnectError): DomainError | undefined {
  const { reason, metadata, violations, preconditions, retryAfterMs } = errorDetailsOf(err);
  if (!isErrorCode(reason)) return undefined;
  const details: Record<string, unknown> = { ...metadata };
  if ('retryAfterMs' in details && retryAfterMs !== undefined)
    details['retryAfterMs'] = retryAfterMs;
  return new DomainError(reason, err.rawMessage, {
    ...(Object.keys(details).length > 0 ? { details } : {}),
    violations,
    preconditions,
    cause: err,
  });
}
