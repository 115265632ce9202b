import {
  createHttpLoadRecorder,
  failureReason,
  parseHttpLoadReport,
  toLoadResult,
} from './http-load-report';

describe('createHttpLoadRecorder', () => {
  it('keeps fractional latencies of 2xx responses only, and counts every status', () => {
    const recorder = createHttpLoadRecorder();
    // 100 successes from 0.01 to 1.00 ms, and two slow failures that must not move the percentiles.
    for (let i = 1; i <= 100; i++) recorder.response(200, i / 100);
    recorder.response(401, 500);
    recorder.response(503, 900);
    const report = recorder.report(2);
    expect(report.ok).toBe(100);
    expect(report.statuses).toEqual({ '200': 100, '401': 1, '503': 1 });
    expect(report.p50Ms).toBeCloseTo(0.5, 10);
    expect(report.p99Ms).toBeCloseTo(0.99, 10);
  });

  it('counts failures by reason, socket errors included', () => {
    const recorder = createHttpLoadRecorder();
    const denied = JSON.stringify({ code: 'UNAUTHENTICATED', message: 'no token' });
    recorder.failedBody(401, denied);
    recorder.failedBody(401, denied);
    recorder.socketError('request timed out');
    const report = recorder.report(1);
    expect(report.socketErrors).toBe(1);
    expect(report.failures).toEqual({
      '401 UNAUTHENTICATED: no token': 2,
      'no response: request timed out': 1,
    });
  });

  it('stops adding distinct reasons after twenty, and counts the rest together', () => {
    const recorder = createHttpLoadRecorder();
    for (let i = 0; i < 25; i++) recorder.failedBody(500, `boom ${i}`);
    const failures = recorder.report(1).failures;
    expect(Object.keys(failures)).toHaveLength(21);
    expect(failures['(other reasons)']).toBe(5);
  });
});

describe('failureReason', () => {
  it('names the stable code and message of an edge error body', () => {
    const body = JSON.stringify({
      code: 'INSUFFICIENT_STOCK',
      status: 'FAILED_PRECONDITION',
      message: 'not enough stock',
    });
    expect(failureReason(400, body)).toBe('400 INSUFFICIENT_STOCK: not enough stock');
  });

  it('falls back to the raw body, shortened, or says it was empty', () => {
    expect(failureReason(502, '<html>bad gateway</html>')).toBe('502 <html>bad gateway</html>');
    expect(failureReason(500, '')).toBe('500 (empty body)');
    expect(failureReason(500, 'x'.repeat(1000))).toHaveLength(160);
  });
});

describe('toLoadResult', () => {
  it('gives successes per second and counts non-2xx answers and socket errors as failed calls', () => {
    const result = toLoadResult({
      durationSec: 10,
      ok: 5000,
      statuses: { '200': 5000, '401': 30, '500': 2 },
      socketErrors: 3,
      failures: {
        '401 UNAUTHENTICATED: no token': 30,
        '500 INTERNAL: boom': 2,
        'no response: x': 3,
      },
      p50Ms: 1.25,
      p99Ms: 7.5,
    });
    expect(result).toEqual({
      callsPerSec: 500,
      okCalls: 5000,
      errorCalls: 35,
      p50Ms: 1.25,
      p99Ms: 7.5,
      topError: '401 UNAUTHENTICATED: no token (30×)',
    });
  });

  it('has no top error for a clean run, and zero calls/s for an empty one', () => {
    const clean = toLoadResult({
      durationSec: 0,
      ok: 0,
      statuses: {},
      socketErrors: 0,
      failures: {},
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
    });
    expect(clean.callsPerSec).toBe(0);
    expect(clean.errorCalls).toBe(0);
    expect(clean.topError).toBeUndefined();
  });
});

describe('parseHttpLoadReport', () => {
  it('reads the runner line back, a run without successes having null percentiles', () => {
    const recorder = createHttpLoadRecorder();
    recorder.response(503, 4);
    const line = JSON.stringify(recorder.report(1.5));
    const report = parseHttpLoadReport(line);
    expect(report.durationSec).toBe(1.5);
    expect(report.statuses).toEqual({ '503': 1 });
    expect(report.p50Ms).toBeNaN();
  });

  it('refuses a line that is not a report', () => {
    expect(() => parseHttpLoadReport('{"hello":1}')).toThrow(/not an HTTP load report/);
    expect(() => parseHttpLoadReport('Running 10s test')).toThrow();
  });
});
