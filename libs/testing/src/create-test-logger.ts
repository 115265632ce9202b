import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@switchboard/logger';

/** A logger that says nothing, unless TEST_LOGS is set: then everything, on stdout. */
export function createTestLogger(service = 'test'): Logger {
  if (process.env.TEST_LOGS) return createLogger({ service, level: 'debug' });
  return createLogger({
    service,
    level: 'silent',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}
