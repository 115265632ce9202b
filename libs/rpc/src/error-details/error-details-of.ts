import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ConnectError } from '@connectrpc/connect';
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from '@switchboard/contracts';
import type { ErrorDetails } from './error-details';
import { ERROR_DOMAIN } from './error-domain';

/**
 * Reads the standard details of a failed call, from our transport or any
 * Connect client: the one way callers learn an error's code. An ErrorInfo of
 * another domain names no code of ours, so it is not taken as one.
 */
export function errorDetailsOf(err: ConnectError): ErrorDetails {
  const info = err.findDetails(ErrorInfoSchema).find((i) => i.domain === ERROR_DOMAIN);
  const retry = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return {
    ...(info === undefined ? {} : { reason: info.reason }),
    metadata: { ...info?.metadata },
    violations: err
      .findDetails(BadRequestSchema)
      .flatMap((b) => b.fieldViolations)
      .map(({ field, description }) => ({ field, description })),
    preconditions: err
      .findDetails(PreconditionFailureSchema)
      .flatMap((p) => p.violations)
      .map(({ type, subject, description }) => ({ type, subject, description })),
    ...(retry === undefined ? {} : { retryAfterMs: durationMs(retry) }),
  };
}
