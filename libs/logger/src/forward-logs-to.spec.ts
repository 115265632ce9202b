import { Writable } from 'node:stream';
import { SeverityNumber, type LogRecord, type Logger as OtelLogger } from '@opentelemetry/api';
import { createLogger } from './create-logger';
import { forwardLogsTo } from './forward-logs-to';

function discard() {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/** An OTel logger that keeps what it is given: the unit under test is the forwarding. */
function recordingLogger(): OtelLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, emit: (record) => void records.push(record), enabled: () => true };
}

describe('forwardLogsTo', () => {
  it('sends every written line of every logger, redacted, until stopped', () => {
    const made = createLogger({ service: 'before', level: 'info', destination: discard() });
    const otel = recordingLogger();
    const stop = forwardLogsTo(otel);
    try {
      const later = createLogger({ service: 'after', destination: discard() });
      made.info({ password: 'hunter22hunter' }, 'login');
      made.debug('below the level: never written, never sent');
      made.child({ orderId: 'o-1' }).error('failed');
      later.warn('from a logger made after forwarding began');
    } finally {
      stop();
    }
    made.info('after stop');

    expect(otel.records.map((r) => [r.severityNumber, r.body, r.attributes])).toEqual([
      [SeverityNumber.INFO, 'login', { service: 'before', password: '[redacted]' }],
      [SeverityNumber.ERROR, 'failed', { service: 'before', orderId: 'o-1' }],
      [SeverityNumber.WARN, 'from a logger made after forwarding began', { service: 'after' }],
    ]);
  });

  it('never lets a failing export break logging', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ service: 's', destination });
    const stop = forwardLogsTo({
      emit: () => {
        throw new Error('exporter exploded');
      },
    } as unknown as OtelLogger);
    try {
      expect(() => logger.info('still written')).not.toThrow();
    } finally {
      stop();
    }
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['still written']);
  });

  it('a stale stop does not end a newer forwarding', () => {
    const first = recordingLogger();
    const second = recordingLogger();
    const stopFirst = forwardLogsTo(first);
    const stopSecond = forwardLogsTo(second);
    stopFirst();
    createLogger({ service: 's', destination: discard() }).info('to the second');
    stopSecond();
    expect(first.records).toEqual([]);
    expect(second.records.map((r) => r.body)).toEqual(['to the second']);
  });
});
