import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '@switchboard/contracts';
import { DomainError, createValidationError } from '@switchboard/errors';
import { toConnectError } from '../to-connect-error';
import { domainErrorOf } from './domain-error-of';

describe('domainErrorOf', () => {
  it('rebuilds the code, message, details, violations and preconditions a service sent', () => {
    const sent = new DomainError('INSUFFICIENT_STOCK', 'not enough', {
      details: { shortfalls: [{ sku: 'A-1', available: 0 }], note: 'x' },
      preconditions: [{ type: 'STOCK', subject: 'A-1', description: 'available 0' }],
    });
    const wire = toConnectError(sent);
    const got = domainErrorOf(wire);
    expect(got).toBeInstanceOf(DomainError);
    expect(got).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      kind: 'failed_precondition',
      message: 'not enough',
      // Strings, as ErrorInfo carries them.
      details: { shortfalls: '[{"sku":"A-1","available":0}]', note: 'x' },
      violations: [],
      preconditions: [{ type: 'STOCK', subject: 'A-1', description: 'available 0' }],
    });
    expect(got?.cause).toBe(wire);

    const invalid = domainErrorOf(
      toConnectError(createValidationError([{ field: 'sku', description: 'is empty' }])),
    );
    expect(invalid?.violations).toEqual([{ field: 'sku', description: 'is empty' }]);
    expect(invalid?.details).toBeUndefined();
  });

  it('gives a retry delay back as a number, so passing the error on keeps its RetryInfo', () => {
    const got = domainErrorOf(
      toConnectError(
        new DomainError('LOGIN_RATE_LIMITED', 'wait', { details: { retryAfterMs: 1500 } }),
      ),
    );
    expect(got?.details).toEqual({ retryAfterMs: 1500 });
    // An UNAVAILABLE's default delay was never a detail of the error, and does not become one.
    const down = domainErrorOf(toConnectError(new DomainError('DEPENDENCY_UNAVAILABLE', 'down')));
    expect(down?.details).toBeUndefined();
  });

  it('finds no domain error where no code of the catalogue was sent', () => {
    expect(domainErrorOf(new ConnectError('plain', Code.Unavailable))).toBeUndefined();
    const foreign = new ConnectError('theirs', Code.NotFound, undefined, [
      { desc: ErrorInfoSchema, value: { reason: 'ORDER_NOT_FOUND', domain: 'example.com' } },
    ]);
    expect(domainErrorOf(foreign)).toBeUndefined();
    const unknown = new ConnectError('newer', Code.NotFound, undefined, [
      { desc: ErrorInfoSchema, value: { reason: 'NOT_IN_OUR_CATALOGUE', domain: 'switchboard' } },
    ]);
    expect(domainErrorOf(unknown)).toBeUndefined();
  });
});
