import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver } from '@switchboard/otlp-receiver';

// Runs the real CLI, exactly as `npm run traces -- ...` does.
const workspaceRoot = join(__dirname, '../../..');

function startTraces(args: string[]): ChildProcess & { out: () => string; err: () => string } {
  const child = spawn(
    process.execPath,
    ['tools/scripts/run-ts.mjs', 'tools/traces/src/main.ts', ...args],
    {
      cwd: workspaceRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  return Object.assign(child, { out: () => stdout, err: () => stderr });
}

async function runTraces(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startTraces(args);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout: child.out(), stderr: child.err() };
}

async function waitFor<T>(
  probe: () => T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function service(
  name: string,
  exporter: SpanExporter,
): { tracer: Tracer; provider: TracerProvider } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': name }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  return { tracer: provider.getTracer('switchboard/traces-cli-test'), provider };
}

// Fixed times, so the printed durations and gaps are known exactly.
const t0 = Date.UTC(2026, 10, 30, 6, 0, 0);
const at = (ms: number) => t0 + ms;
const under = (span: Span) => trace.setSpan(context.active(), span);

describe('npm run traces', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'traces-cli-'));
    file = join(dir, 'traces.jsonl');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('receives a trace from the SDK and prints its tree, with the async hop and a link', async () => {
    const receiver = startTraces(['receive', '--port', '0', '--file', file]);
    try {
      const url = await waitFor(
        () => /on (http:\/\/127\.0\.0\.1:\d+)/.exec(receiver.err())?.[1],
        'the receiver',
      );
      const endpoint = `${url}/v1/traces`;
      const order = service('order-service', new OtlpProtoExporter({ url: endpoint }));
      const inventory = service('inventory-service', new OtlpProtoExporter({ url: endpoint }));
      const reporting = service('reporting-service', new OtlpHttpJsonExporter({ url: endpoint }));

      const placeOrder = order.tracer.startSpan('switchboard.order.v1.OrderService/PlaceOrder', {
        kind: SpanKind.SERVER,
        startTime: at(0),
      });
      const reserveCall = order.tracer.startSpan(
        'switchboard.inventory.v1.InventoryService/ReserveStock',
        { kind: SpanKind.CLIENT, startTime: at(5) },
        under(placeOrder),
      );
      const reserve = inventory.tracer.startSpan(
        'switchboard.inventory.v1.InventoryService/ReserveStock',
        { kind: SpanKind.SERVER, startTime: at(6) },
        under(reserveCall),
      );
      reserve.setStatus({
        code: SpanStatusCode.ERROR,
        message: 'FAILED_PRECONDITION: out of stock',
      });
      reserve.end(at(14));
      reserveCall.end(at(15));
      const send = order.tracer.startSpan(
        'send sales.orders.v1',
        { kind: SpanKind.PRODUCER, startTime: at(20) },
        under(placeOrder),
      );
      send.end(at(22));
      placeOrder.end(at(50));
      const processed = reporting.tracer.startSpan(
        'process sales.orders.v1',
        { kind: SpanKind.CONSUMER, startTime: at(122) },
        under(send),
      );
      processed.setStatus({ code: SpanStatusCode.OK });
      processed.end(at(125));
      // A run of events handled together: its own trace, linked to each event's producer.
      const batch = reporting.tracer.startSpan('process 1 event from sales.orders.v1', {
        kind: SpanKind.CONSUMER,
        startTime: at(130),
        links: [{ context: send.spanContext() }],
        root: true,
      });
      batch.setStatus({ code: SpanStatusCode.OK });
      batch.end(at(134));
      await Promise.all([order, inventory, reporting].map((s) => s.provider.shutdown()));

      const orderTrace = placeOrder.spanContext().traceId;
      const batchTrace = batch.spanContext().traceId;
      // The receiver announces each trace once it has settled, naming its root.
      await waitFor(
        () =>
          (receiver.out().includes(orderTrace) && receiver.out().includes(batchTrace)) || undefined,
        'both traces announced',
      );
      expect(receiver.out().split('\n')).toEqual(
        expect.arrayContaining([
          `${orderTrace}  5 spans  125.0 ms  order-service: switchboard.order.v1.OrderService/PlaceOrder`,
          `${batchTrace}  1 span  4.000 ms  reporting-service: process 1 event from sales.orders.v1`,
        ]),
      );
      receiver.kill('SIGTERM');
      expect(await new Promise((resolve) => receiver.on('exit', resolve))).toBe(0);
      expect(receiver.err()).toContain('received 6 spans (0 rejected)');

      const shown = await runTraces(['show', orderTrace, '--file', file]);
      expect(shown).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `trace ${orderTrace}  5 spans, 3 services, 125.0 ms, started 2026-11-30T06:00:00.000Z`,
          'switchboard.order.v1.OrderService/PlaceOrder  order-service  server  50.000 ms  unset',
          '├─ switchboard.inventory.v1.InventoryService/ReserveStock  order-service  client  10.000 ms  unset',
          '│  └─ switchboard.inventory.v1.InventoryService/ReserveStock  inventory-service  server  8.000 ms  error: FAILED_PRECONDITION: out of stock',
          '└─ send sales.orders.v1  order-service  producer  2.000 ms  unset',
          '   └─ process sales.orders.v1  reporting-service  consumer  3.000 ms  ok  ⇢ async hop: began 100.0 ms after the producer span ended',
          '',
        ].join('\n'),
      });

      const linked = await runTraces(['show', batchTrace.toUpperCase(), '--file', file]);
      expect(linked.stdout).toBe(
        [
          `trace ${batchTrace}  1 span, 1 service, 4.000 ms, started 2026-11-30T06:00:00.130Z`,
          'process 1 event from sales.orders.v1  reporting-service  consumer  4.000 ms  ok',
          `  ↪ link to span ${send.spanContext().spanId} of trace ${orderTrace}`,
          '',
        ].join('\n'),
      );

      const listed = await runTraces(['list', '--file', file]);
      expect(listed.code).toBe(0);
      const rows = listed.stdout.trim().split('\n');
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatch(/^TRACE\s+STARTED\s+DURATION\s+SPANS\s+SERVICES\s+ROOT$/);
      // Newest first.
      expect(rows[1]).toMatch(
        new RegExp(
          `^${batchTrace}\\s+2026-11-30T06:00:00.130Z\\s+4.000 ms\\s+1\\s+reporting-service\\s+`,
        ),
      );
      expect(rows[2]).toMatch(
        new RegExp(
          `^${orderTrace}\\s+2026-11-30T06:00:00.000Z\\s+125.0 ms\\s+5 \\(1 error\\)\\s+order-service,inventory-service,reporting-service\\s+order-service: switchboard.order.v1.OrderService/PlaceOrder$`,
        ),
      );
    } finally {
      if (receiver.exitCode === null) receiver.kill('SIGTERM');
    }
  });

  it('says clearly when a trace id is unknown, malformed, or there is no spans file', async () => {
    const unknown = await runTraces(['show', 'ab'.repeat(16), '--file', file]);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe(
      `traces: no trace ${'ab'.repeat(16)} in ${file} (it holds 2 traces; \`npm run traces -- list\` lists them)\n`,
    );

    const malformed = await runTraces(['show', 'not-a-trace-id', '--file', file]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      'a trace id is 32 hexadecimal digits (got "not-a-trace-id")',
    );

    const missing = await runTraces(['list', '--file', join(dir, 'nothing.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `no spans file at ${join(dir, 'nothing.jsonl')}; run \`npm run traces -- receive\``,
    );
  });

  it('says which port is taken when it cannot listen', async () => {
    const other = await startOtlpReceiver({ port: 0 });
    try {
      const taken = await runTraces([
        'receive',
        '--port',
        String(other.port),
        '--file',
        join(dir, 'x.jsonl'),
      ]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`port ${other.port} on 127.0.0.1 is in use`);
      const wide = await runTraces([
        'receive',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--file',
        join(dir, 'x.jsonl'),
      ]);
      expect(wide.code).toBe(1);
      expect(wide.stderr).toContain('loopback only');
    } finally {
      await other.close();
    }
  });
});
