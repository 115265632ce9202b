import { isDatabaseUnavailableError } from './is-database-unavailable-error';

const pgError = (code: string, message = 'x') =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

// A real failure to reach a server is checked where StorageError is made (libs/storage's spec).
describe('isDatabaseUnavailableError', () => {
  it('recognises connection-loss SQLSTATEs and driver messages, also when wrapped', () => {
    expect(isDatabaseUnavailableError(pgError('57P01', 'terminating connection'))).toBe(true);
    expect(isDatabaseUnavailableError(pgError('08006'))).toBe(true);
    expect(isDatabaseUnavailableError(pgError('53300'))).toBe(true);
    expect(isDatabaseUnavailableError(new Error('Connection terminated unexpectedly'))).toBe(true);
    const wrapped = new Error('handler failed', { cause: pgError('57P03') });
    expect(isDatabaseUnavailableError(wrapped)).toBe(true);
    expect(isDatabaseUnavailableError(new AggregateError([pgError('08001')]))).toBe(true);
  });

  it('recognises a StorageError by its name, the only thing it shares with this lib', () => {
    const storageError = Object.assign(new Error('cannot connect to PostgreSQL'), {
      name: 'StorageError',
    });
    expect(isDatabaseUnavailableError(new Error('run failed', { cause: storageError }))).toBe(true);
    expect(isDatabaseUnavailableError({ name: 'StorageError', message: 'not an Error' })).toBe(
      false,
    );
  });

  it('leaves statement errors and foreign socket errors to the handler', () => {
    expect(isDatabaseUnavailableError(pgError('23505', 'duplicate key'))).toBe(false);
    expect(isDatabaseUnavailableError(pgError('40001', 'could not serialize'))).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailableError(refused)).toBe(false);
    expect(isDatabaseUnavailableError('a string')).toBe(false);
    const loop: { cause?: unknown; message: string } = { message: 'loop' };
    loop.cause = loop;
    expect(isDatabaseUnavailableError(loop)).toBe(false);
  });
});
