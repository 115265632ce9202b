import { Code, ConnectError } from '@connectrpc/connect';
import { errorDetailsOf } from '@switchboard/rpc';
import { BadRequestError } from './transcode-request';

/** The HTTP status of each gRPC code: the table of google/rpc/code.proto. */
const httpStatusByCode: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

export function httpStatusOf(code: Code): number {
  return httpStatusByCode[code] ?? 500;
}

/** UPPER_SNAKE, as gRPC spells its codes: NOT_FOUND, INVALID_ARGUMENT … */
export function grpcCodeName(code: Code): string {
  return (Code[code] ?? 'Unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** What every error response of the edge carries, whatever the protocol. */
export interface HttpErrorBody {
  /** The stable error code of the service (e.g. ORDER_NOT_FOUND), else the gRPC code's name. */
  code: string;
  /** The gRPC status name, e.g. NOT_FOUND. */
  status: string;
  message: string;
  /** The service's details of the error (ErrorInfo's metadata), as strings. */
  details?: Record<string, string>;
  /** The field rules that failed (BadRequest). */
  violations?: readonly { field: string; description: string }[];
  /** What must change before a retry can succeed, e.g. per sku short of stock (PreconditionFailure). */
  preconditions?: readonly { type: string; subject: string; description: string }[];
}

export interface HttpError {
  readonly httpStatus: number;
  readonly body: HttpErrorBody;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;
}

/** The Retry-After header (whole seconds, at least 1) from the error's RetryInfo. */
function retryAfterHeader(retryAfterMs: number | undefined): Record<string, string> {
  if (retryAfterMs === undefined) return {};
  return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
}

/**
 * Any failure of a REST call as a status, a JSON body and headers. Upstream
 * errors keep their code, message and what their error details say; anything
 * else is a bug of the edge and says only "internal error".
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof BadRequestError) {
    return {
      httpStatus: 400,
      body: {
        code: 'INVALID_ARGUMENT',
        status: 'INVALID_ARGUMENT',
        message: err.message,
        ...(err.violations.length > 0 ? { violations: err.violations } : {}),
      },
      headers: {},
    };
  }
  if (err instanceof ConnectError) {
    const { reason, metadata, violations, preconditions, retryAfterMs } = errorDetailsOf(err);
    return {
      httpStatus: httpStatusOf(err.code),
      body: {
        code: reason ?? grpcCodeName(err.code),
        status: grpcCodeName(err.code),
        message: err.rawMessage,
        ...(Object.keys(metadata).length === 0 ? {} : { details: metadata }),
        ...(violations.length === 0 ? {} : { violations }),
        ...(preconditions.length === 0 ? {} : { preconditions }),
      },
      headers: retryAfterHeader(retryAfterMs),
    };
  }
  return {
    httpStatus: 500,
    body: { code: 'INTERNAL', status: 'INTERNAL', message: 'internal error' },
    headers: {},
  };
}

/** An error the edge itself answers with (404, 405, 413, 415 …), in the same shape. */
export function edgeError(
  httpStatus: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpError {
  return { httpStatus, body: { code, status: code, message }, headers };
}
