import { Code, ConnectError } from '@connectrpc/connect';
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
  details?: unknown;
  violations?: unknown;
}

export interface HttpError {
  readonly httpStatus: number;
  readonly body: HttpErrorBody;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Record<string, string>;
}

/** The error-details trailer the services send: JSON of { details?, violations? }. */
function detailsOf(err: ConnectError): { details?: unknown; violations?: unknown } {
  const raw = err.metadata.get('error-details');
  if (raw === null) return {};
  try {
    const parsed = JSON.parse(raw) as { details?: unknown; violations?: unknown };
    return parsed !== null && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

/** The Retry-After header (whole seconds, at least 1) from a `retry-after-ms` trailer. */
export function retryAfterHeader(err: ConnectError): Record<string, string> {
  const ms = Number(err.metadata.get('retry-after-ms'));
  if (!Number.isFinite(ms) || err.metadata.get('retry-after-ms') === null) return {};
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/**
 * Any failure of a REST call as a status, a JSON body and headers. Upstream
 * errors keep their code, message and field violations; anything else is a
 * bug of the edge and says only "internal error".
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
    const { details, violations } = detailsOf(err);
    return {
      httpStatus: httpStatusOf(err.code),
      body: {
        code: err.metadata.get('error-code') ?? grpcCodeName(err.code),
        status: grpcCodeName(err.code),
        message: err.rawMessage,
        ...(details === undefined ? {} : { details }),
        ...(violations === undefined ? {} : { violations }),
      },
      headers: retryAfterHeader(err),
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
