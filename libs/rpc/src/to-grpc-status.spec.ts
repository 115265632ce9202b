import { durationMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { status as Status } from '@grpc/grpc-js';
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  RetryInfoSchema,
  type BadRequest,
  type ErrorInfo,
  type PreconditionFailure,
  type RetryInfo,
} from '@switchboard/contracts';
import {
  DomainError,
  createValidationError,
  errorCatalogue,
  type ErrorCode,
} from '@switchboard/errors';
import { toGrpcStatus, type RpcStatus } from './to-grpc-status';

/** The details of one type, as the status would send them. */
function find<T>(status: RpcStatus, typeName: string): T[] {
  return status.details.filter((d) => d.desc.typeName === typeName).map((d) => d.value as T);
}

const errorInfo = (s: RpcStatus) => find<ErrorInfo>(s, ErrorInfoSchema.typeName);
const retryInfo = (s: RpcStatus) => find<RetryInfo>(s, RetryInfoSchema.typeName);

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
    expect(status.errorCode).toBe(code);
    expect(errorInfo(status)).toEqual([
      expect.objectContaining({ reason: code, domain: 'switchboard', metadata: {} }),
    ]);
    expect(status.cause).toBeUndefined();
  });

  it('maps every code of the catalogue to a status other than UNKNOWN or OK', () => {
    for (const code of Object.keys(errorCatalogue) as ErrorCode[]) {
      const status = toGrpcStatus(new DomainError(code, 'x'));
      expect([Status.OK, Status.UNKNOWN]).not.toContain(status.code);
      expect(errorInfo(status).map((i) => i.reason)).toEqual([code]);
    }
  });

  it("sends the error's details as ErrorInfo metadata: strings as they are, anything else as JSON", () => {
    const status = toGrpcStatus(
      new DomainError('STOCK_LIMIT_EXCEEDED', 'too much', {
        details: { sku: 'caf\u00e9', onHand: 3, skus: ['A', 'B'], gone: undefined },
      }),
    );
    expect(errorInfo(status)[0]?.metadata).toEqual({
      sku: 'caf\u00e9',
      onHand: '3',
      skus: '["A","B"]',
    });
  });

  it('sends validation violations as a BadRequest', () => {
    const invalid = toGrpcStatus(
      createValidationError([
        { field: 'sku', description: 'is empty' },
        { field: 'items[0].quantity', description: 'must be between 1 and 1000' },
      ]),
    );
    expect(invalid.code).toBe(Status.INVALID_ARGUMENT);
    const [badRequest] = find<BadRequest>(invalid, BadRequestSchema.typeName);
    expect(badRequest?.fieldViolations.map((v) => [v.field, v.description])).toEqual([
      ['sku', 'is empty'],
      ['items[0].quantity', 'must be between 1 and 1000'],
    ]);
    // No other kind of error claims field violations.
    expect(
      find(toGrpcStatus(new DomainError('ORDER_NOT_FOUND', 'x')), 'google.rpc.BadRequest'),
    ).toEqual([]);
  });

  it('sends unmet preconditions as a PreconditionFailure', () => {
    const status = toGrpcStatus(
      new DomainError('INSUFFICIENT_STOCK', 'not enough', {
        preconditions: [{ type: 'STOCK', subject: 'A-1', description: 'requested 3, available 1' }],
      }),
    );
    const [failure] = find<PreconditionFailure>(status, PreconditionFailureSchema.typeName);
    expect(failure?.violations.map((v) => [v.type, v.subject, v.description])).toEqual([
      ['STOCK', 'A-1', 'requested 3, available 1'],
    ]);
  });

  it('sends a retry delay as RetryInfo, rounded up to the millisecond, and keeps it in the metadata', () => {
    const status = toGrpcStatus(
      new DomainError('LOGIN_RATE_LIMITED', 'wait', { details: { retryAfterMs: 1234.2 } }),
    );
    expect(status.code).toBe(Status.RESOURCE_EXHAUSTED);
    const [retry] = retryInfo(status);
    expect(durationMs(retry!.retryDelay!)).toBe(1235);
    expect(errorInfo(status)[0]?.metadata).toEqual({ retryAfterMs: '1234.2' });
  });

  it('tells a client of any UNAVAILABLE to retry, and no one else without a delay', () => {
    for (const code of ['DEPENDENCY_UNAVAILABLE', 'WATCH_UNAVAILABLE'] as const) {
      const [retry] = retryInfo(toGrpcStatus(new DomainError(code, 'later')));
      expect(durationMs(retry!.retryDelay!)).toBe(1000);
    }
    expect(retryInfo(toGrpcStatus(new DomainError('TOO_MANY_WATCHES', 'x')))).toEqual([]);
    expect(retryInfo(toGrpcStatus(new DomainError('DEPENDENCY_TIMEOUT', 'x')))).toEqual([]);
  });

  it('keeps only dependency failures of outgoing calls', () => {
    const down = toGrpcStatus(
      new ConnectError('connect ECONNREFUSED 10.0.0.7:50052', Code.Unavailable),
    );
    expect(down.code).toBe(Status.UNAVAILABLE);
    expect(down.message).not.toContain('10.0.0.7');
    expect(down.cause).toBeInstanceOf(ConnectError);
    expect(errorInfo(down)[0]?.reason).toBe('DEPENDENCY_UNAVAILABLE');
    expect(retryInfo(down)).toHaveLength(1);

    const slow = toGrpcStatus(new ConnectError('slow', Code.DeadlineExceeded));
    expect([slow.code, slow.errorCode]).toEqual([Status.DEADLINE_EXCEEDED, 'DEPENDENCY_TIMEOUT']);
    // A downstream NOT_FOUND or INVALID_ARGUMENT means this service called it wrongly.
    const misuse = toGrpcStatus(new ConnectError('product p-1 not found', Code.NotFound));
    expect(misuse).toMatchObject({ code: Status.INTERNAL, message: 'internal error' });
  });

  it('answers UNAVAILABLE, with a retry delay, while its own database is unreachable', () => {
    const shutdown = Object.assign(
      new Error('terminating connection due to administrator command'),
      { code: '57P01', severity: 'FATAL' },
    );
    const lost = toGrpcStatus(new Error('insert failed', { cause: shutdown }));
    expect([lost.code, lost.errorCode]).toEqual([Status.UNAVAILABLE, 'DEPENDENCY_UNAVAILABLE']);
    expect(lost.message).toBe('the database is unavailable');
    expect(retryInfo(lost)).toHaveLength(1);
    expect(lost.cause).toBeInstanceOf(Error);
    // A statement the database refused is this service's bug, not an outage.
    const refused = Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' });
    expect(toGrpcStatus(refused).code).toBe(Status.INTERNAL);
  });

  it('hides anything else behind INTERNAL and keeps it as the cause for the log', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'password')");
    const status = toGrpcStatus(bug);
    expect(status).toMatchObject({ code: Status.INTERNAL, message: 'internal error' });
    expect(status.cause).toBe(bug);
    expect(errorInfo(status)).toEqual([
      expect.objectContaining({ reason: 'INTERNAL', metadata: {} }),
    ]);
    expect(toGrpcStatus('a thrown string')).toMatchObject({ code: Status.INTERNAL });
  });
});
