import { ROOT_CONTEXT, SeverityNumber, createContextKey } from '@opentelemetry/api';
import { toLogRecord } from './to-log-record';

describe('toLogRecord', () => {
  it('maps level, message and time to severity, body and timestamp, the rest to attributes', () => {
    const line = JSON.stringify({
      level: 'warn',
      time: '2026-11-30T13:00:00.123Z',
      service: 'order-service',
      msg: 'stock low',
      sku: 'LAMP-1',
      remaining: 2,
      reserved: true,
      trace_id: '5e1f0a7c2d3b4a5968778695a4b3c2d1',
      span_id: 'a1b2c3d4e5f60718',
    });
    expect(toLogRecord(`${line}\n`)).toEqual({
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'stock low',
      timestamp: new Date('2026-11-30T13:00:00.123Z'),
      // The trace ids travel in the record's context, not as attributes.
      attributes: { service: 'order-service', sku: 'LAMP-1', remaining: 2, reserved: true },
    });
  });

  it('gives every pino level its severity number', () => {
    const severities = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'custom'].map(
      (level) => toLogRecord(JSON.stringify({ level, msg: 'x' }))?.severityNumber,
    );
    expect(severities).toEqual([1, 5, 9, 13, 17, 21, 0]);
  });

  it('flattens nested objects to dotted keys and keeps arrays OTLP can carry', () => {
    const record = toLogRecord(
      JSON.stringify({
        level: 'info',
        msg: 'call',
        request: { customer: { id: 'c-1', vip: false }, lines: 3 },
        skus: ['A', 'B'],
        mixed: [1, 'two', { three: 3 }],
        nothing: null,
        deep: { a: { b: { c: { d: { e: 1 } } } } },
      }),
    );
    expect(record?.attributes).toEqual({
      'request.customer.id': 'c-1',
      'request.customer.vip': false,
      'request.lines': 3,
      skus: ['A', 'B'],
      mixed: '[1,"two",{"three":3}]',
      nothing: 'null',
      'deep.a.b.c.d': '{"e":1}',
    });
  });

  it("puts pino's serialised error under OTel's exception attributes", () => {
    const record = toLogRecord(
      JSON.stringify({
        level: 'error',
        msg: 'rpc failed',
        err: {
          type: 'ConnectError',
          message: 'boom',
          stack: 'ConnectError: boom\n  at x',
          code: 14,
        },
      }),
    );
    expect(record?.attributes).toEqual({
      'exception.type': 'ConnectError',
      'exception.message': 'boom',
      'exception.stacktrace': 'ConnectError: boom\n  at x',
      'err.code': 14,
    });
  });

  it('carries the given context, and leaves out what the line does not have', () => {
    const key = createContextKey('spec');
    const context = ROOT_CONTEXT.setValue(key, 'the caller');
    const record = toLogRecord('{"time":"not a time"}', context);
    expect(record).toEqual({ attributes: {}, context });
    expect(record?.context?.getValue(key)).toBe('the caller');
  });

  it('returns undefined for anything but a JSON object', () => {
    for (const line of ['', 'plain text', '[1,2]', '"msg"', '{"level":']) {
      expect(toLogRecord(line)).toBeUndefined();
    }
  });
});
