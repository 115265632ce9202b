import { ConnectError, type Code } from '@connectrpc/connect';
import type { DomainError } from '@switchboard/errors';
import { toGrpcStatus } from './to-grpc-status';

/**
 * A domain error as a ConnectError with the same code, message and details,
 * for code that answers through Connect rather than through our gRPC server
 * (the edge gateway's own refusals). gRPC and Connect number codes alike.
 */
export function toConnectError(err: DomainError): ConnectError {
  const status = toGrpcStatus(err);
  return new ConnectError(status.message, status.code as number as Code, undefined, status.details);
}
