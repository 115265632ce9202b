import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { createSpanStore } from './create-span-store';
import { readSpanFile } from './span-file';
import { startOtlpReceiver, type OtlpReceiver } from './start-otlp-receiver';

// Real OTLP from the OTel SDK's own exporters, to a receiver on a real socket.
function sdk(
  exporter: SpanExporter,
  service: string,
): { tracer: Tracer; provider: TracerProvider } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  return { tracer: provider.getTracer('switchboard/otlp-receiver-test'), provider };
}

/** One attribute of each kind OTLP carries, so the decoded span shows each kept its type. */
const SERVER_ATTRIBUTES = {
  'rpc.system': 'grpc',
  'rpc.grpc.status_code': 0,
  ratio: 0.5,
  retried: false,
  'order.items': ['p-1', 'p-2'],
};

/** A server span with a client child that fails, a producer and a consumer linked to it. */
function emitOrderTrace(tracer: Tracer): { traceId: string; producerSpanId: string } {
  const server = tracer.startSpan('switchboard.order.v1.OrderService/PlaceOrder', {
    kind: SpanKind.SERVER,
    attributes: SERVER_ATTRIBUTES,
  });
  const inServer = trace.setSpan(context.active(), server);
  const client = tracer.startSpan(
    'switchboard.inventory.v1.InventoryService/ReserveStock',
    { kind: SpanKind.CLIENT },
    inServer,
  );
  client.addEvent('retry', { attempt: 2 });
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'FAILED_PRECONDITION: out of stock' });
  client.end();
  const producer = tracer.startSpan('send sales.orders.v1', { kind: SpanKind.PRODUCER }, inServer);
  producer.end();
  server.end();
  const consumer = tracer.startSpan(
    'process sales.orders.v1',
    {
      kind: SpanKind.CONSUMER,
      links: [{ context: producer.spanContext(), attributes: { hop: 'kafka' } }],
    },
    trace.setSpan(context.active(), producer),
  );
  consumer.setStatus({ code: SpanStatusCode.OK });
  consumer.end();
  return { traceId: server.spanContext().traceId, producerSpanId: producer.spanContext().spanId };
}

async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  method = 'POST',
) {
  const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text: await res.text(),
    allow: res.headers.get('allow'),
  };
}

describe('startOtlpReceiver', () => {
  let receiver: OtlpReceiver;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otlp-receiver-'));
    receiver = await startOtlpReceiver({
      port: 0,
      spanFile: join(dir, 'traces.jsonl'),
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['http/protobuf', (url: string) => new OtlpProtoExporter({ url })],
    ['http/json', (url: string) => new OtlpHttpJsonExporter({ url })],
  ])('decodes and stores what the SDK exports over %s', async (_protocol, exporter) => {
    const { tracer, provider } = sdk(exporter(`${receiver.url}/v1/traces`), 'order-service');
    const { traceId, producerSpanId } = emitOrderTrace(tracer);
    await provider.forceFlush();
    await provider.shutdown();

    // Spans started within the clock's resolution tie, so look them up by name, not position.
    const spans = receiver.store.trace(traceId)!;
    const byName = (name: string) => spans.find((s) => s.name === name);
    expect(spans.map((s) => [s.name, s.kind]).sort()).toEqual([
      ['process sales.orders.v1', 'consumer'],
      ['send sales.orders.v1', 'producer'],
      ['switchboard.inventory.v1.InventoryService/ReserveStock', 'client'],
      ['switchboard.order.v1.OrderService/PlaceOrder', 'server'],
    ]);
    const server = byName('switchboard.order.v1.OrderService/PlaceOrder');
    const client = byName('switchboard.inventory.v1.InventoryService/ReserveStock');
    const producer = byName('send sales.orders.v1');
    const consumer = byName('process sales.orders.v1');
    expect(server).toMatchObject({
      traceId,
      service: 'order-service',
      scope: { name: 'switchboard/otlp-receiver-test' },
      status: { code: 'unset' },
      attributes: SERVER_ATTRIBUTES,
      resource: { 'service.name': 'order-service' },
    });
    expect(server!.parentSpanId).toBeUndefined();
    expect(client).toMatchObject({
      parentSpanId: server!.spanId,
      status: { code: 'error', message: 'FAILED_PRECONDITION: out of stock' },
      events: [{ name: 'retry', attributes: { attempt: 2 } }],
    });
    expect(producer!.parentSpanId).toBe(server!.spanId);
    expect(consumer).toMatchObject({
      parentSpanId: producerSpanId,
      status: { code: 'ok' },
      links: [{ traceId, spanId: producerSpanId, attributes: { hop: 'kafka' } }],
    });
    for (const s of spans) {
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeUnixNano));
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(receiver.store.traces().find((t) => t.traceId === traceId)).toMatchObject({
      root: { spanId: server!.spanId },
      services: ['order-service'],
      spanCount: 4,
      errorCount: 1,
    });

    // The JSON-lines file holds the same spans for a CLI in another process.
    await waitFor(async () =>
      (await readSpanFile(join(dir, 'traces.jsonl'))).spans.some(
        (s) => s.spanId === consumer!.spanId,
      ),
    );
    const fromFile = (await readSpanFile(join(dir, 'traces.jsonl'))).spans.filter(
      (s) => s.traceId === traceId,
    );
    expect(fromFile).toEqual(expect.arrayContaining(spans));
  });

  it('tells subscribers about each batch', async () => {
    const seen: string[] = [];
    const unsubscribe = receiver.store.subscribe((spans) => seen.push(...spans.map((s) => s.name)));
    const { tracer, provider } = sdk(
      new OtlpProtoExporter({ url: `${receiver.url}/v1/traces` }),
      'post-service',
    );
    tracer.startSpan('CreatePost').end();
    await provider.shutdown();
    unsubscribe();
    expect(seen).toEqual(['CreatePost']);
  });

  it('answers bad requests with the right 4xx and a Status body, and keeps serving', async () => {
    const url = `${receiver.url}/v1/traces`;
    const json = { 'content-type': 'application/json' };
    const proto = { 'content-type': 'application/x-protobuf' };
    const refusedBefore = receiver.stats().refusedRequests;

    const badProto = await post(url, new Uint8Array([0x0a, 0xff, 0x01]), proto);
    expect(badProto).toMatchObject({ status: 400, type: 'application/x-protobuf' });
    expect(badProto.text).toContain('malformed protobuf');
    // A field with the wrong wire type (resource_spans as a varint).
    expect((await post(url, new Uint8Array([0x08, 0x01]), proto)).status).toBe(400);

    const badJson = await post(url, '{"resourceSpans": [', json);
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.text)).toEqual({
      code: 3,
      message: expect.stringContaining('malformed JSON'),
    });
    const wrongShape = await post(url, '{"resourceSpans": {"oops": 1}}', json);
    expect(JSON.parse(wrongShape.text)).toEqual({
      code: 3,
      message: 'resourceSpans must be an array',
    });
    const tooDeep = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(40)}${']}}'.repeat(40)}}]}]}]}]}`;
    expect(JSON.parse((await post(url, tooDeep, json)).text).message).toContain('nest deeper');

    expect((await post(url, 'x'.repeat(65 * 1024), json)).status).toBe(413);
    // Declared small but chunked past the limit, and a gzip body that inflates past it.
    const chunked = await fetch(url, {
      method: 'POST',
      headers: json,
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 70; i++) c.enqueue(new Uint8Array(1024).fill(32));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const bomb = await post(url, gzipSync(Buffer.alloc(1024 * 1024, 32)), {
      ...json,
      'content-encoding': 'gzip',
    });
    expect(bomb.status).toBe(413);
    expect((await post(url, 'x', { ...json, 'content-encoding': 'br' })).status).toBe(415);

    const wrongType = await post(url, 'hello', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(JSON.parse(wrongType.text).message).toContain(
      'application/x-protobuf or application/json',
    );
    expect((await post(`${receiver.url}/v1/spans`, '{}', json)).status).toBe(404);
    expect(await post(url, '', {}, 'GET')).toMatchObject({ status: 405, allow: 'POST' });

    expect(receiver.stats().refusedRequests - refusedBefore).toBe(12);
    // Still serving: an empty export and a gzipped one succeed.
    expect(await post(url, '{}', json)).toMatchObject({ status: 200, text: '{}' });
    expect(
      (await post(url, gzipSync('{"resourceSpans":[]}'), { ...json, 'content-encoding': 'gzip' }))
        .status,
    ).toBe(200);
  });

  it('stores the good spans of a request and reports the bad ones as a partial success', async () => {
    const span = (traceId: string, name: string) => ({
      traceId,
      spanId: '00f067aa0ba902b7',
      name,
      startTimeUnixNano: '1',
      endTimeUnixNano: '2000001',
    });
    const good = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await post(
      `${receiver.url}/v1/traces`,
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [span(good, 'kept'), span('abc', 'bad')] }] }],
      }),
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: 'span "bad": trace id must be 16 bytes, not all zero',
      },
    });
    expect(receiver.store.trace(good)).toEqual([
      expect.objectContaining({ name: 'kept', durationMs: 2, service: 'unknown_service' }),
    ]);
  });

  it('accepts and counts metrics and logs', async () => {
    const before = receiver.stats();
    const json = { 'content-type': 'application/json' };
    const metrics = {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'a' }, { name: 'b' }] }] }],
    };
    expect((await post(`${receiver.url}/v1/metrics`, JSON.stringify(metrics), json)).status).toBe(
      200,
    );
    const logs = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'hi' } }] }] }],
    };
    expect((await post(`${receiver.url}/v1/logs`, JSON.stringify(logs), json)).status).toBe(200);
    // ExportLogsServiceRequest{resource_logs{scope_logs{log_records{}}}} in protobuf.
    const protoLogs = new Uint8Array([0x0a, 0x04, 0x12, 0x02, 0x12, 0x00]);
    expect(
      (
        await post(`${receiver.url}/v1/logs`, protoLogs, {
          'content-type': 'application/x-protobuf',
        })
      ).status,
    ).toBe(200);
    expect(receiver.stats()).toMatchObject({
      metrics: before.metrics + 2,
      logRecords: before.logRecords + 2,
    });
  });

  it("accepts what the SDK's metric exporter sends over http/protobuf", async () => {
    const before = receiver.stats();
    const provider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics` }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const meter = provider.getMeter('switchboard/otlp-receiver-test');
    meter.createCounter('orders.placed').add(3);
    meter.createHistogram('rpc.server.call.duration', { unit: 's' }).record(0.012);
    // One collection: shutdown would export the (cumulative) metrics once more.
    await provider.forceFlush();
    expect(receiver.stats()).toMatchObject({
      metrics: before.metrics + 2,
      refusedRequests: before.refusedRequests,
    });
    await provider.shutdown();
  });

  it('keeps only the newest spans within its bounds and counts what it dropped', async () => {
    const store = createSpanStore({ maxSpans: 3 });
    const bounded = await startOtlpReceiver({ port: 0, store });
    try {
      const { tracer, provider } = sdk(
        new OtlpProtoExporter({ url: `${bounded.url}/v1/traces` }),
        'inventory-service',
      );
      for (let i = 0; i < 5; i++) tracer.startSpan(`span-${i}`).end();
      await provider.shutdown();
      const kept = store.traces().flatMap((t) => store.trace(t.traceId)!.map((s) => s.name));
      expect(kept.sort()).toEqual(['span-2', 'span-3', 'span-4']);
      expect(store.stats()).toMatchObject({ spans: 3, traces: 3, droppedSpans: 2 });
    } finally {
      await bounded.close();
    }
  });

  it('refuses to listen beyond loopback', async () => {
    await expect(startOtlpReceiver({ host: '0.0.0.0', port: 0 })).rejects.toThrow('loopback only');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
