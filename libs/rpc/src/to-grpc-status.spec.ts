import { Code, ConnectError } from '@connectrpc/connect';
import { status as Status } from '@grpc/grpc-js';
import {
  DomainError,
  createValidationError,
  errorCatalogue,
  type ErrorCode,
} from '@switchboard/errors';
import { toGrpcStatus } from './to-grpc-status';

describe('toGrpcStatus', () => {
  it.each([
    ['INVALID_ARGUMENT', Status.INVALID_ARGUMENT],
    ['PRODUCT_NOT_FOUND', Status.NOT_FOUND],
    ['EMAIL_TAKEN', Status.ALREADY_EXISTS],
    ['INSUFFICIENT_STOCK', Status.FAILED_PRECONDITION],
    ['PERMISSION_DENIED', Status.PERMISSION_DENIED],
    ['INVALID_TOKEN', Status.UNAUTHENTICATED],
    ['DEPENDENCY_UNAVAILABLE', Status.UNAVAILABLE],
    ['DEPENDENCY_TIMEOUT', Status.DEADLINE_EXCEEDED],
    ['NOT_IMPLEMENTED', Status.UNIMPLEMENTED],
    ['INTERNAL', Status.INTERNAL],
  ] as const)('maps %s by its kind and keeps message and code', (code, expected) => {
    const status = toGrpcStatus(new DomainError(code, `about ${code}`));
    expect(status.code).toBe(expected);
    expect(status.message).toBe(`about ${code}`);
    expect(status.trailers).toEqual({ 'error-code': code });
    expect(status.cause).toBeUndefined();
  });

  it('maps every code of the catalogue to a status other than UNKNOWN or OK', () => {
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      const status = toGrpcStatus(new DomainError(code, 'x'));
      expect([Status.OK, Status.UNKNOWN]).not.toContain(status.code);
    }
  });

  it('sends details and violations as ASCII-only JSON', () => {
    const withDetails = toGrpcStatus(
      new DomainError('INSUFFICIENT_STOCK', 'not enough', {
        details: { sku: 'caf\u00e9', short: 2 },
      }),
    );
    const json = withDetails.trailers['error-details'] ?? '';
    expect(json).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(json)).toEqual({ details: { sku: 'caf\u00e9', short: 2 } });

    const invalid = toGrpcStatus(
      createValidationError([{ field: 'sku', description: 'is empty' }]),
    );
    expect(invalid.code).toBe(Status.INVALID_ARGUMENT);
    expect(JSON.parse(invalid.trailers['error-details'] ?? '')).toEqual({
      violations: [{ field: 'sku', description: 'is empty' }],
    });
  });

  it('sends a retry delay in its own retry-after-ms trailer too', () => {
    const status = toGrpcStatus(
      new DomainError('LOGIN_RATE_LIMITED', 'wait', { details: { retryAfterMs: 1234.2 } }),
    );
    expect(status.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(status.trailers['retry-after-ms']).toBe('1235');
    expect(JSON.parse(status.trailers['error-details'] ?? '')).toEqual({
      details: { retryAfterMs: 1234.2 },
    });
  });

  it('keeps only dependency failures of outgoing calls', () => {
    const down = toGrpcStatus(
      new ConnectError('connect ECONNREFUSED 10.0.0.7:50052', Code.Unavailable),
    );
    expect(down.code).toBe(Status.UNAVAILABLE);
    expect(down.message).not.toContain('10.0.0.7');
    expect(down.cause).toBeInstanceOf(ConnectError);

    expect(toGrpcStatus(new ConnectError('slow', Code.DeadlineExceeded)).code).toBe(
      Status.DEADLINE_EXCEEDED,
    );
    // A downstream NOT_FOUND or INVALID_ARGUMENT means this service called it wrongly.
    const misuse = toGrpcStatus(new ConnectError('product p-1 not found', Code.NotFound));
    expect(misuse).toMatchObject({ code: Status.INTERNAL, message: 'internal error' });
  });

  it('hides anything else behind INTERNAL and keeps it as the cause for the log', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'password')");
    const status = toGrpcStatus(bug);
    expect(status).toMatchObject({ code: Status.INTERNAL, message: 'internal error' });
    expect(status.cause).toBe(bug);
    expect(toGrpcStatus('a thrown string')).toMatchObject({ code: Status.INTERNAL });
  });
});
