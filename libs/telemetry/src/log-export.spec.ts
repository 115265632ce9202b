import { once } from 'node:events';
import { join } from 'node:path';
import { bundleMain, findWorkspaceRoot, freePort, spawnBundle } from '@switchboard/testing';
import {
  attributeOf as attribute,
  startLogCollector,
  type LogCollector,
} from './testing/start-log-collector';

jest.setTimeout(60_000);

interface Line {
  msg: string;
  trace_id?: string;
  span_id?: string;
  shutdownMs?: number;
}

const root = findWorkspaceRoot(__dirname);
const bundle = join(root, 'dist', 'spec', 'log-export-fixture.cjs');

/** Runs the fixture with `env` and returns its stdout lines once it exits by itself. */
async function runFixture(env: Record<string, string>): Promise<{ code: number; lines: Line[] }> {
  const child = spawnBundle(root, bundle, {
    PATH: process.env.PATH,
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    ...env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`fixture exited ${code}: ${stderr}`);
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  return { code, lines };
}

describe('log lines over OTLP, from a real process', () => {
  let collector: LogCollector;

  beforeAll(async () => {
    await bundleMain(root, 'libs/telemetry/src/testing/log-export-fixture.ts', bundle);
    collector = await startLogCollector();
  });
  afterAll(async () => {
    await collector?.close();
  });
  beforeEach(() => collector.received.splice(0));

  it('http/json: body, severity, attributes, service.name and the active span’s ids', async () => {
    const { lines } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    const inSpan = lines.find((l) => l.msg === 'inside the span');
    expect(inSpan?.trace_id).toMatch(/^[0-9a-f]{32}$/);

    const logRequests = collector.received.filter((r) => r.url === '/v1/logs');
    expect(logRequests.length).toBeGreaterThan(0);
    expect(logRequests[0]?.headers['content-type']).toBe('application/json');
    const resourceLogs = collector.jsonLogs();
    for (const { resource } of resourceLogs) {
      expect(attribute(resource.attributes, 'service.name')).toBe('log-export-fixture');
    }
    const records = resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
    // Every line written while telemetry ran, none after it stopped.
    expect(records.map((r) => r.body.stringValue)).toEqual([
      'telemetry started',
      'inside the span',
      'failed',
    ]);

    const warn = records[1];
    expect(warn).toMatchObject({
      severityNumber: 13,
      severityText: 'warn',
      traceId: inSpan?.trace_id,
      spanId: inSpan?.span_id,
    });
    expect(attribute(warn?.attributes ?? [], 'orderId')).toBe('o-42');
    // Redacted before it leaves, as on stdout.
    expect(attribute(warn?.attributes ?? [], 'request.password')).toBe('[redacted]');
    expect(JSON.stringify(records)).not.toContain('hunter22hunter');
    expect(Number(BigInt(warn?.timeUnixNano ?? '0') / 1_000_000n)).toBeGreaterThan(
      Date.now() - 60_000,
    );

    const error = records[2];
    expect(error).toMatchObject({ severityNumber: 17, severityText: 'error' });
    expect(error?.traceId ?? '').toBe('');
    expect(attribute(error?.attributes ?? [], 'exception.message')).toBe('outside any span');
    expect(attribute(error?.attributes ?? [], 'exception.type')).toBe('Error');
  });

  it('http/protobuf (what npm start sets): the records arrive at /v1/logs', async () => {
    const { lines } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
    const inSpan = lines.find((l) => l.msg === 'inside the span');
    const logRequests = collector.received.filter((r) => r.url === '/v1/logs');
    expect(logRequests[0]?.headers['content-type']).toBe('application/x-protobuf');
    const body = Buffer.concat(logRequests.map((r) => r.body));
    // No decoder for logs in the workspace yet: the bytes hold the message, the
    // service name and the span's trace id in its 16-byte binary form.
    expect(body.includes('inside the span')).toBe(true);
    expect(body.includes('log-export-fixture')).toBe(true);
    expect(body.includes(Buffer.from(inSpan?.trace_id ?? '', 'hex'))).toBe(true);
  });

  it('the per-signal endpoint and protocol win, and OTEL_LOGS_EXPORTER=none turns logs off', async () => {
    await runFixture({
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${collector.url}/elsewhere/logs`,
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
    });
    expect(collector.received.map((r) => r.url)).toEqual(['/elsewhere/logs']);
    collector.received.splice(0);

    await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_LOGS_EXPORTER: 'none',
    });
    expect(collector.received.map((r) => r.url)).not.toContain('/v1/logs');
    expect(collector.received.map((r) => r.url)).toContain('/v1/traces');
  });

  it('with the console down, every line still reaches stdout and the process ends', async () => {
    // A port freePort just closed: nothing listens there.
    const { lines } = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
    expect(lines.map((l) => l.msg)).toEqual([
      'telemetry started',
      'inside the span',
      'failed',
      // The spans could not go either: dropped, and the shutdown still succeeds.
      'telemetry: what was queued could not be exported; dropped',
      'telemetry shut down',
    ]);
  });
});
