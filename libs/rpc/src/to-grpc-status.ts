import { status as Status } from '@grpc/grpc-js';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  DomainError,
  isDatabaseUnavailableError,
  isDomainError,
  type ErrorKind,
} from '@switchboard/errors';
import { statusDetailsOf, type StatusDetail } from './error-details/status-details-of';

/** A status as the server sends it; plain data so the mapping is testable without a socket. */
export interface RpcStatus {
  code: Status;
  message: string;
  /** The catalogue code (ErrorInfo's reason), for the log and the span. */
  errorCode?: string;
  /** The google.rpc details, sent packed in a google.rpc.Status in `grpc-status-details-bin`. */
  details: StatusDetail[];
  /** A bug or a failed dependency: the original error belongs in the log, not on the wire. */
  cause?: unknown;
}

/**
 * A status that the library itself answers with where the error catalogue
 * has no fitting code (e.g. the health service's NOT_FOUND). Internal only:
 * services express their failures as DomainErrors.
 */
export class RpcStatusError extends Error {
  constructor(
    readonly code: Status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcStatusError';
  }
}

const statusByKind = {
  invalid_argument: Status.INVALID_ARGUMENT,
  not_found: Status.NOT_FOUND,
  already_exists: Status.ALREADY_EXISTS,
  failed_precondition: Status.FAILED_PRECONDITION,
  permission_denied: Status.PERMISSION_DENIED,
  unauthenticated: Status.UNAUTHENTICATED,
  resource_exhausted: Status.RESOURCE_EXHAUSTED,
  unavailable: Status.UNAVAILABLE,
  deadline_exceeded: Status.DEADLINE_EXCEEDED,
  aborted: Status.ABORTED,
  unimplemented: Status.UNIMPLEMENTED,
  internal: Status.INTERNAL,
} as const satisfies Record<ErrorKind, Status>;

function domainStatus(err: DomainError, cause?: unknown): RpcStatus {
  return {
    code: statusByKind[err.kind],
    message: err.message,
    errorCode: err.code,
    details: statusDetailsOf(err),
    ...(cause === undefined ? {} : { cause }),
  };
}

/**
 * The one place where a thrown value becomes a gRPC status. Domain errors are
 * explained to the caller; a dependency that is down or slow keeps that
 * meaning so callers can retry; everything else is a bug and says nothing.
 */
export function toGrpcStatus(err: unknown): RpcStatus {
  if (isDomainError(err)) return domainStatus(err);
  if (err instanceof RpcStatusError) {
    return { code: err.code, message: err.message, details: [] };
  }
  if (err instanceof ConnectError) {
    // Only failures of the dependency itself pass through; any other status
    // from a downstream call means this service used it wrongly.
    if (err.code === Code.Unavailable) {
      return domainStatus(
        new DomainError('DEPENDENCY_UNAVAILABLE', 'a dependency is unavailable'),
        err,
      );
    }
    if (err.code === Code.DeadlineExceeded) {
      return domainStatus(
        new DomainError('DEPENDENCY_TIMEOUT', 'a dependency did not answer in time'),
        err,
      );
    }
  }
  // The service's own database going away (restarted, failed over) is an
  // outage, not a bug: the caller may retry, as with a dependency above.
  if (isDatabaseUnavailableError(err)) {
    return domainStatus(
      new DomainError('DEPENDENCY_UNAVAILABLE', 'the database is unavailable'),
      err,
    );
  }
  return domainStatus(new DomainError('INTERNAL', 'internal error'), err);
}
