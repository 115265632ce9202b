import { createLogger } from '@switchboard/logger';
import { createStorage } from '@switchboard/storage';
import { freePort } from '@switchboard/testing';
import { isStorageUnavailableError } from '../index';

const pgError = (code: string, message = 'x') =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isStorageUnavailableError', () => {
  it('recognises a real failure to reach a PostgreSQL server', async () => {
    const port = await freePort(); // nothing listens there
    const error = await createStorage({
      service: 'unreachable',
      serviceDatabaseUrl: `postgres://postgres:postgres@127.0.0.1:${port}/nope`,
      migrations: {},
      logger: createLogger({ service: 'test', level: 'silent' }),
      connectTimeoutMs: 500,
      // Fail at the first refusal: the wait for a late server is create-storage's own spec.
      waitForServerMs: 0,
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeDefined();
    expect(isStorageUnavailableError(error)).toBe(true);
  });

  it('recognises connection-loss SQLSTATEs and driver messages, also when wrapped', () => {
    expect(isStorageUnavailableError(pgError('57P01', 'terminating connection'))).toBe(true);
    expect(isStorageUnavailableError(pgError('08006'))).toBe(true);
    expect(isStorageUnavailableError(pgError('53300'))).toBe(true);
    expect(isStorageUnavailableError(new Error('Connection terminated unexpectedly'))).toBe(true);
    const wrapped = new Error('handler failed', { cause: pgError('57P03') });
    expect(isStorageUnavailableError(wrapped)).toBe(true);
    expect(isStorageUnavailableError(new AggregateError([pgError('08001')]))).toBe(true);
  });

  it('leaves statement errors and foreign socket errors to the handler', () => {
    expect(isStorageUnavailableError(pgError('23505', 'duplicate key'))).toBe(false);
    expect(isStorageUnavailableError(pgError('40001', 'could not serialize'))).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isStorageUnavailableError(refused)).toBe(false);
    expect(isStorageUnavailableError('a string')).toBe(false);
    const loop: { cause?: unknown; message: string } = { message: 'loop' };
    loop.cause = loop;
    expect(isStorageUnavailableError(loop)).toBe(false);
  });
});
