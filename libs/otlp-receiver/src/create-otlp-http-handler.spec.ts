import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SeverityNumber, context, trace } from '@opentelemetry/api';
import { OTLPLogExporter as OtlpHttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OtlpHttpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogStore, type LogStore } from './create-log-store';
import { createMetricStore, type MetricStore } from './create-metric-store';
import { createOtlpHttpHandler, type OtlpHttpHandler } from './create-otlp-http-handler';
import { createSpanStore } from './create-span-store';

/** Each request's content encoding, to see that a gzipping exporter really gzipped. */
let encodings: string[] = [];

// The handler mounted on a server of the test's own, as the console mounts it:
// paths that are not OTLP's must reach the server's other routes untouched.
async function mount(
  handler: OtlpHttpHandler,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    encodings.push(req.headers['content-encoding'] ?? 'identity');
    if (handler(req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain' }).end('the console');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const resource = (service: string) => resourceFromAttributes({ 'service.name': service });

function meterProvider(exporter: PushMetricExporter, service = 'order-service') {
  return new MeterProvider({
    resource: resource(service),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
  });
}

function loggerProvider(exporter: LogRecordExporter, service = 'order-service') {
  return new LoggerProvider({
    resource: resource(service),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
}

async function post(url: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

describe('createOtlpHttpHandler', () => {
  let metrics: MetricStore;
  let logs: LogStore;
  let handler: OtlpHttpHandler;
  let refused: string[];
  let mounted: Awaited<ReturnType<typeof mount>>;
  beforeEach(async () => {
    metrics = createMetricStore();
    logs = createLogStore();
    refused = [];
    handler = createOtlpHttpHandler(
      { spans: createSpanStore(), metrics, logs, refused: (signal) => refused.push(signal) },
      { maxBodyBytes: 64 * 1024 },
    );
    mounted = await mount(handler);
  });
  afterEach(() => mounted.close());

  it.each([
    ['http/protobuf', (url: string) => new OtlpProtoMetricExporter({ url })],
    ['http/json', (url: string) => new OtlpHttpJsonMetricExporter({ url })],
  ])(
    'keeps the RPC duration histogram the SDK exports over %s, as deltas of its cumulative points',
    async (_protocol, exporter) => {
      const provider = meterProvider(exporter(`${mounted.url}/v1/metrics`));
      const duration = provider.getMeter('switchboard/rpc').createHistogram('rpc.server.duration', {
        unit: 'ms',
        advice: { explicitBucketBoundaries: [1, 10, 100] },
      });
      const ok = { 'rpc.method': 'PlaceOrder', 'rpc.grpc.status_code': 0 };
      duration.record(5, ok);
      duration.record(50, ok);
      duration.record(7, { 'rpc.method': 'PlaceOrder', 'rpc.grpc.status_code': 5 });
      await provider.forceFlush();
      duration.record(500, ok);
      await provider.forceFlush();
      // A third collection with nothing new: an idle series adds no points.
      await provider.forceFlush();
      await provider.shutdown();

      const points = metrics.since(0n, 'rpc.server.duration');
      const okPoints = points.filter((p) => p.attributes['rpc.grpc.status_code'] === 0);
      expect(okPoints).toEqual([
        expect.objectContaining({
          service: 'order-service',
          kind: 'histogram',
          unit: 'ms',
          temporality: 'delta',
          count: 2,
          sum: 55,
          explicitBounds: [1, 10, 100],
          bucketCounts: [0, 1, 1, 0],
        }),
        // The second export is cumulative (3 values); the store keeps what was new.
        expect.objectContaining({ count: 1, sum: 500, bucketCounts: [0, 0, 0, 1] }),
      ]);
      expect(BigInt(okPoints[1]!.startTimeUnixNano)).toBe(BigInt(okPoints[0]!.timeUnixNano));
      expect(points.filter((p) => p.attributes['rpc.grpc.status_code'] === 5)).toEqual([
        expect.objectContaining({ count: 1, bucketCounts: [0, 1, 0, 0] }),
      ]);
      // Four collections (three flushes and the shutdown's) of two series each arrived; idle ones were not kept.
      expect(handler.stats()).toMatchObject({ refusedRequests: 0, metricPoints: 8 });
      expect(points).toHaveLength(3);
    },
  );

  it('keeps delta histograms as they come', async () => {
    const provider = new MeterProvider({
      resource: resource('inventory-service'),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OtlpProtoMetricExporter({
            url: `${mounted.url}/v1/metrics`,
            temporalityPreference: AggregationTemporality.DELTA,
          }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const duration = provider.getMeter('t').createHistogram('rpc.server.duration');
    duration.record(3);
    await provider.forceFlush();
    duration.record(4);
    duration.record(4);
    await provider.forceFlush();
    await provider.shutdown();
    expect(metrics.since(0n).map((p) => [p.temporality, p.count, p.sum])).toEqual([
      ['delta', 1, 3],
      ['delta', 2, 8],
    ]);
  });

  it.each([
    ['http/protobuf', (url: string) => new OtlpProtoLogExporter({ url })],
    ['http/json', (url: string) => new OtlpHttpJsonLogExporter({ url })],
    [
      'http/protobuf, gzipped',
      // The enum's value; the package that names it is not one of ours.
      (url: string) =>
        new OtlpProtoLogExporter({ url, compression: 'gzip' } as ConstructorParameters<
          typeof OtlpProtoLogExporter
        >[0]),
    ],
  ])('keeps the log records the SDK exports over %s, by trace id', async (protocol, exporter) => {
    encodings = [];
    const provider = loggerProvider(exporter(`${mounted.url}/v1/logs`));
    const logger = provider.getLogger('switchboard/logger');
    const tracer = new TracerProvider().getTracer('t');
    const span = tracer.startSpan('PlaceOrder');
    const inSpan = trace.setSpan(context.active(), span);
    logger.emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'stock is low',
      attributes: { sku: 'p-1', left: 2 },
      context: inSpan,
    });
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: { code: 'E1', retry: false } });
    await provider.shutdown();
    span.end();

    const { traceId, spanId } = span.spanContext();
    expect(logs.byTrace(traceId)).toEqual([
      {
        timeUnixNano: expect.stringMatching(/^\d{19}$/),
        severityNumber: 13,
        severityText: 'WARN',
        body: 'stock is low',
        service: 'order-service',
        traceId,
        spanId,
        attributes: { sku: 'p-1', left: 2 },
      },
    ]);
    // A record outside any span: no ids, a severity named from its number, a structured body as JSON.
    expect(logs.recent(1)).toEqual([
      expect.objectContaining({ severityText: 'ERROR', body: '{"code":"E1","retry":false}' }),
    ]);
    expect(logs.recent(1)[0]!.traceId).toBeUndefined();
    expect(logs.stats()).toMatchObject({ items: 2, dropped: 0 });
    expect(encodings.includes('gzip')).toBe(protocol.endsWith('gzipped'));
  });

  it('leaves paths that are not OTLP to the server it is mounted on', async () => {
    const res = await fetch(`${mounted.url}/index.html`);
    expect(await res.text()).toBe('the console');
    expect(handler.stats().requests).toBe(0);
  });

  it('answers malformed, oversized and wrongly typed bodies with 400, 413 and 415, counted per signal, and keeps serving', async () => {
    const json = { 'content-type': 'application/json' };
    const proto = { 'content-type': 'application/x-protobuf' };
    const bad = await post(`${mounted.url}/v1/metrics`, new Uint8Array([0x0a, 0xff, 0x01]), proto);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('malformed protobuf');
    const wrongField = await post(
      `${mounted.url}/v1/metrics`,
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"count":"many"}]}}]}]}]}',
      json,
    );
    expect(JSON.parse(wrongField.text)).toEqual({
      code: 3,
      message:
        'resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].count must be an integer or a decimal string',
    });
    const badLogs = await post(`${mounted.url}/v1/logs`, '{"resourceLogs":{}}', json);
    expect(badLogs).toEqual({
      status: 400,
      text: JSON.stringify({ code: 3, message: 'resourceLogs must be an array' }),
    });
    expect((await post(`${mounted.url}/v1/logs`, 'x'.repeat(65 * 1024), json)).status).toBe(413);
    const bomb = await post(`${mounted.url}/v1/logs`, gzipSync(Buffer.alloc(1024 * 1024, 32)), {
      ...json,
      'content-encoding': 'gzip',
    });
    expect(bomb.status).toBe(413);
    const wrongType = await post(`${mounted.url}/v1/traces`, 'hi', { 'content-type': 'text/xml' });
    expect(wrongType.status).toBe(415);
    expect(handler.stats()).toMatchObject({
      refusedRequests: 6,
      refusedBySignal: { traces: 1, metrics: 2, logs: 3 },
    });
    expect(refused.sort()).toEqual(['logs', 'logs', 'logs', 'metrics', 'metrics', 'traces']);

    // Still serving, gzip included.
    const gzipped = await post(
      `${mounted.url}/v1/logs`,
      gzipSync(
        JSON.stringify({
          resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'after' } }] }] }],
        }),
      ),
      { ...json, 'content-encoding': 'gzip' },
    );
    expect(gzipped.status).toBe(200);
    expect(logs.recent(1)[0]).toMatchObject({ body: 'after', service: 'unknown_service' });
  });

  it('keeps only the newest records within the bounds and counts the ones it dropped', async () => {
    const bounded = createLogStore({ maxRecords: 3 });
    const boundedMetrics = createMetricStore({ maxPoints: 2 });
    const other = await mount(
      createOtlpHttpHandler({ spans: createSpanStore(), metrics: boundedMetrics, logs: bounded }),
    );
    try {
      const provider = loggerProvider(new OtlpProtoLogExporter({ url: `${other.url}/v1/logs` }));
      const logger = provider.getLogger('t');
      for (let i = 0; i < 5; i++) logger.emit({ body: `line ${i}` });
      await provider.shutdown();
      expect(bounded.recent(10).map((r) => r.body)).toEqual(['line 4', 'line 3', 'line 2']);
      expect(bounded.stats()).toMatchObject({ items: 3, maxItems: 3, dropped: 2 });

      const meters = meterProvider(new OtlpProtoMetricExporter({ url: `${other.url}/v1/metrics` }));
      const counter = meters.getMeter('t').createCounter('orders.placed');
      for (const region of ['a', 'b', 'c', 'd']) counter.add(1, { region });
      await meters.shutdown();
      expect(boundedMetrics.since(0n).map((p) => p.attributes.region)).toEqual(['c', 'd']);
      expect(boundedMetrics.stats()).toMatchObject({ items: 2, dropped: 2 });
    } finally {
      await other.close();
    }
  });
});
