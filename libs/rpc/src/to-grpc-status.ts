import { status as Status } from '@grpc/grpc-js';
import { Code, ConnectError } from '@connectrpc/connect';
import { isDomainError, type ErrorKind } from '@switchboard/errors';

/** A status as the server sends it; plain data so the mapping is testable without a socket. */
export interface RpcStatus {
  code: Status;
  message: string;
  /** Sent as trailing metadata. Values are printable ASCII, as gRPC requires. */
  trailers: Record<string, string>;
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

/** gRPC metadata values must be printable ASCII; JSON escapes make any text fit. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The one place where a thrown value becomes a gRPC status. Domain errors are
 * explained to the caller; a dependency that is down or slow keeps that
 * meaning so callers can retry; everything else is a bug and says nothing.
 */
export function toGrpcStatus(err: unknown): RpcStatus {
  if (isDomainError(err)) {
    const trailers: Record<string, string> = { 'error-code': err.code };
    // A refusal that says when to come back says it where a client finds it without parsing JSON.
    const retryAfterMs = err.details?.['retryAfterMs'];
    if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)) {
      trailers['retry-after-ms'] = String(Math.max(0, Math.ceil(retryAfterMs)));
    }
    if (err.details !== undefined || err.violations.length > 0) {
      trailers['error-details'] = asciiJson({
        ...(err.details === undefined ? {} : { details: err.details }),
        ...(err.violations.length > 0 ? { violations: err.violations } : {}),
      });
    }
    return { code: statusByKind[err.kind], message: err.message, trailers };
  }
  if (err instanceof RpcStatusError) {
    return { code: err.code, message: err.message, trailers: {} };
  }
  if (err instanceof ConnectError) {
    // Only failures of the dependency itself pass through; any other status
    // from a downstream call means this service used it wrongly.
    if (err.code === Code.Unavailable) {
      return {
        code: Status.UNAVAILABLE,
        message: 'a dependency is unavailable',
        trailers: { 'error-code': 'DEPENDENCY_UNAVAILABLE' },
        cause: err,
      };
    }
    if (err.code === Code.DeadlineExceeded) {
      return {
        code: Status.DEADLINE_EXCEEDED,
        message: 'a dependency did not answer in time',
        trailers: { 'error-code': 'DEPENDENCY_TIMEOUT' },
        cause: err,
      };
    }
  }
  return {
    code: Status.INTERNAL,
    message: 'internal error',
    trailers: { 'error-code': 'INTERNAL' },
    cause: err,
  };
}
