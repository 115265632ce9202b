import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { InventoryService, NotificationService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { uniformAccess } from './access-policy';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { startTestServer, type TestServer } from './start-test-server';

/** Collects on demand: the test reads the histograms when it asserts. */
class TestReader extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
}

const GET_PRODUCT = 'switchboard.inventory.v1.InventoryService/GetProduct';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe('gRPC tracing through the server adapter and the grpc-js transport', () => {
  const exporter = new InMemorySpanExporter();
  const reader = new TestReader();
  let downstream: TestServer;
  let front: TestServer;
  let toDownstream: GrpcJsTransport;
  let toFront: GrpcJsTransport;

  /** The spans of one trace once `count` of them have ended (servers end theirs after answering). */
  async function spansOf(traceId: string, count: number): Promise<ReadableSpan[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      if (spans.length >= count || Date.now() > deadline) return spans;
      await sleep(10);
    }
  }

  async function callCount(kind: 'server' | 'client', status: number): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === `rpc.${kind}.duration`) as HistogramMetricData | undefined;
    const point = metric?.dataPoints.find(
      (p) =>
        p.attributes['rpc.method'] === 'GetProduct' &&
        p.attributes['rpc.grpc.status_code'] === status,
    );
    return point?.value.count ?? 0;
  }

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(
      new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    downstream = await startTestServer((server) => {
      server.addService(
        InventoryService,
        {
          async getProduct(request) {
            if (request.sku === 'MISSING')
              throw new DomainError('PRODUCT_NOT_FOUND', 'no such product');
            if (request.sku === 'BUG') throw new Error('a bug in the handler');
            return { product: { sku: request.sku } };
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      );
      server.addService(
        NotificationService,
        {
          async *watchNotifications() {
            yield { notification: { notificationId: 'n-1' } };
            yield { notification: { notificationId: 'n-2' } };
          },
        },
        { access: uniformAccess(NotificationService, 'public') },
      );
    });
    toDownstream = createGrpcJsTransport({ address: downstream.address });
    const dependency = createServiceClient(InventoryService, toDownstream);
    front = await startTestServer((server) =>
      server.addService(
        InventoryService,
        {
          async getProduct(request, ctx) {
            ctx.logger.info({ sku: request.sku }, 'asking downstream');
            return dependency.getProduct({ sku: request.sku });
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      ),
    );
    toFront = createGrpcJsTransport({ address: front.address });
  });

  afterAll(async () => {
    toDownstream.close();
    toFront.close();
    await Promise.all([front.server.shutdown(), downstream.server.shutdown()]);
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });

  it('makes one trace of client and server spans across real sockets, under the caller’s traceparent', async () => {
    const client = createServiceClient(InventoryService, toFront);
    const traceparent = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;
    await client.getProduct({ sku: 'OK' }, { headers: { traceparent } });

    const spans = await spansOf(TRACE_ID, 4);
    const byKind = (kind: SpanKind) => spans.filter((s) => s.kind === kind);
    expect(spans.map((s) => s.name)).toEqual(Array(4).fill(GET_PRODUCT));
    expect(byKind(SpanKind.CLIENT)).toHaveLength(2);
    expect(byKind(SpanKind.SERVER)).toHaveLength(2);

    // test's client span -> front's server span -> front's client span -> downstream's server span
    const testClient = spans.find((s) => s.parentSpanContext?.spanId === PARENT_SPAN_ID);
    expect(testClient?.kind).toBe(SpanKind.CLIENT);
    const childOf = (parent: ReadableSpan | undefined) =>
      spans.find((s) => s.parentSpanContext?.spanId === parent?.spanContext().spanId);
    const frontServer = childOf(testClient);
    const frontClient = childOf(frontServer);
    const downstreamServer = childOf(frontClient);
    expect(frontServer?.kind).toBe(SpanKind.SERVER);
    expect(frontClient?.kind).toBe(SpanKind.CLIENT);
    expect(downstreamServer?.kind).toBe(SpanKind.SERVER);

    for (const span of spans) {
      expect(span.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.service': 'switchboard.inventory.v1.InventoryService',
        'rpc.method': 'GetProduct',
        'rpc.grpc.status_code': 0,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }

    // A log line written inside the handler names the trace and the server span.
    const line = front.logs.lines.find((l) => l.msg === 'asking downstream');
    expect(line).toMatchObject({
      trace_id: TRACE_ID,
      span_id: frontServer?.spanContext().spanId,
    });
  });

  it('records the gRPC status and the domain error code of a failed call', async () => {
    const client = createServiceClient(InventoryService, toDownstream);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const err = await failure(
      client.getProduct(
        { sku: 'MISSING' },
        { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
      ),
    );
    expect(err.code).toBe(Code.NotFound);

    const spans = await spansOf(traceId, 2);
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    const client_ = spans.find((s) => s.kind === SpanKind.CLIENT);
    for (const span of [server, client_]) {
      expect(span?.attributes['rpc.grpc.status_code']).toBe(5);
      expect(span?.attributes['rpc.error_code']).toBe('PRODUCT_NOT_FOUND');
    }
    // NOT_FOUND is the caller's problem, not a server fault; the caller's call did fail.
    expect(server?.status.code).toBe(SpanStatusCode.UNSET);
    expect(client_?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('marks a server fault as an error on the server span', async () => {
    const client = createServiceClient(InventoryService, toDownstream);
    const traceId = '11111111111111111111111111111111';
    const err = await failure(
      client.getProduct(
        { sku: 'BUG' },
        { headers: { traceparent: `00-${traceId}-2222222222222222-01` } },
      ),
    );
    expect(err.code).toBe(Code.Internal);
    const server = (await spansOf(traceId, 2)).find((s) => s.kind === SpanKind.SERVER);
    expect(server?.attributes['rpc.grpc.status_code']).toBe(13);
    expect(server?.attributes['rpc.error_code']).toBe('INTERNAL');
    expect(server?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('gives a server stream one span per side for its whole life', async () => {
    const client = createServiceClient(NotificationService, toDownstream);
    const traceId = '33333333333333333333333333333333';
    const ids: string[] = [];
    for await (const message of client.watchNotifications(
      {},
      { headers: { traceparent: `00-${traceId}-4444444444444444-01` } },
    )) {
      ids.push(message.notification?.notificationId ?? '');
    }
    expect(ids).toEqual(['n-1', 'n-2']);
    const spans = await spansOf(traceId, 2);
    expect(spans).toHaveLength(2);
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    const client_ = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(server?.name).toBe('switchboard.notification.v1.NotificationService/WatchNotifications');
    expect(server?.parentSpanContext?.spanId).toBe(client_?.spanContext().spanId);
    expect(server?.attributes['rpc.grpc.status_code']).toBe(0);
  });

  it('counts calls in the duration histograms by method and status', async () => {
    const client = createServiceClient(InventoryService, toDownstream);
    const [okBefore, notFoundBefore, clientBefore] = [
      await callCount('server', 0),
      await callCount('server', 5),
      await callCount('client', 0),
    ];
    for (let i = 0; i < 3; i++) await client.getProduct({ sku: 'OK' });
    await failure(client.getProduct({ sku: 'MISSING' }));
    // The server records after it answered; give it the moment it needs.
    const deadline = Date.now() + 2_000;
    while ((await callCount('server', 5)) === notFoundBefore && Date.now() < deadline)
      await sleep(10);
    expect((await callCount('server', 0)) - okBefore).toBe(3);
    expect((await callCount('server', 5)) - notFoundBefore).toBe(1);
    expect((await callCount('client', 0)) - clientBefore).toBe(3);
  });
});
