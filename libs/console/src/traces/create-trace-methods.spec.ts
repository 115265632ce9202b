import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import {
  ROOT_CONTEXT,
  SeverityNumber,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
} from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  GetTraceRequestSchema,
  ListTracesRequestSchema,
  SpanKind as ProtoSpanKind,
  SpanStatus,
  StatusFilter,
  type GetTraceResponse,
  type ListTracesResponse,
} from '@switchboard/contracts';
import { createOtlpHttpHandler } from '@switchboard/otlp-receiver';
import { createTelemetryStore } from '../telemetry/create-telemetry-store';
import type { TelemetryStore } from '../telemetry/telemetry-store';
import { createTraceMethods } from './create-trace-methods';

// Spans and logs from the SDK's own exporters (three services, each its own
// provider as each process has), posted to the OTLP handler on a real socket.
const ctx = {} as HandlerContext;

describe('createTraceMethods', () => {
  let server: Server;
  let url: string;
  let store: TelemetryStore;
  const providers: { shutdown(): Promise<void> }[] = [];
  let orderTraceId: string;
  let producerSpanId: string;
  let runTraceId: string;

  function tracerOf(service: string) {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [
        new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }) }),
      ],
    });
    providers.push(provider);
    return provider.getTracer('switchboard/test');
  }

  beforeAll(async () => {
    store = createTelemetryStore();
    const handler = createOtlpHttpHandler(store);
    server = createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const order = tracerOf('order-service');
    const inventory = tracerOf('inventory-service');
    const reporting = tracerOf('reporting-service');
    const logs = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'order-service' }),
      processors: [
        new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) }),
      ],
    });
    providers.push(logs);

    const place = order.startSpan('switchboard.order.v1.OrderService/PlaceOrder', {
      kind: SpanKind.SERVER,
      attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0 },
    });
    const inPlace = trace.setSpan(ROOT_CONTEXT, place);
    const call = order.startSpan(
      'switchboard.inventory.v1.InventoryService/ReserveStock',
      { kind: SpanKind.CLIENT },
      inPlace,
    );
    const reserve = inventory.startSpan(
      'switchboard.inventory.v1.InventoryService/ReserveStock',
      { kind: SpanKind.SERVER },
      trace.setSpan(ROOT_CONTEXT, call),
    );
    reserve.addEvent('reserved', { sku: 'p-1', quantity: 2 });
    reserve.end();
    call.end();
    logs.getLogger('switchboard/logger').emit({
      severityNumber: SeverityNumber.INFO,
      body: 'order placed',
      attributes: { orderId: 'o-1' },
      context: inPlace,
    });
    const producer = order.startSpan(
      'sales.orders.v1 publish',
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.destination.name': 'sales.orders.v1' } },
      inPlace,
    );
    producer.end();
    place.end();
    // The per-record process span is the producer's child; the batch run is a trace of its own, linked.
    const inProducer: Context = trace.setSpan(ROOT_CONTEXT, producer);
    reporting.startSpan('sales.orders.v1 process', { kind: SpanKind.CONSUMER }, inProducer).end();
    const run = reporting.startSpan(
      'sales.orders.v1 process',
      { kind: SpanKind.CONSUMER, links: [{ context: producer.spanContext() }] },
      ROOT_CONTEXT,
    );
    reporting
      .startSpan('insert', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, run))
      .end();
    run.end();

    // A second trace that failed, and a third, slow one in another service.
    const failed = order.startSpan('switchboard.order.v1.OrderService/CancelOrder', {
      kind: SpanKind.SERVER,
    });
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'NOT_FOUND: no order o-9' });
    failed.end();
    const slow = inventory.startSpan('switchboard.inventory.v1.InventoryService/ListProducts', {
      kind: SpanKind.SERVER,
      startTime: new Date(Date.now() - 2_000),
    });
    slow.end();

    await Promise.all(providers.map((p) => p.shutdown()));
    orderTraceId = place.spanContext().traceId;
    producerSpanId = producer.spanContext().spanId;
    runTraceId = run.spanContext().traceId;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const methods = () => createTraceMethods({ store });
  const list = async (init: MessageInitShape<typeof ListTracesRequestSchema>) =>
    (await methods().listTraces!(create(ListTracesRequestSchema, init), ctx)) as ListTracesResponse;

  it('lists recent traces newest first, with their root, services and errors', async () => {
    const all = await list({});
    expect(all.matched).toBe(4);
    const order = all.traces.find((t) => t.traceId === orderTraceId)!;
    expect(order).toMatchObject({
      rootService: 'order-service',
      rootName: 'switchboard.order.v1.OrderService/PlaceOrder',
      spanCount: 5,
      errorCount: 0,
    });
    expect(order.services.sort()).toEqual([
      'inventory-service',
      'order-service',
      'reporting-service',
    ]);
    const starts = all.traces.map(
      (t) => t.startTime!.seconds * 1_000_000_000n + BigInt(t.startTime!.nanos),
    );
    expect([...starts].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))).toEqual(starts);
  });

  it('filters by service, method, status, minimum duration and trace id prefix, counting all matches before the limit', async () => {
    const names = async (init: Parameters<typeof list>[0]) =>
      (await list(init)).traces.map((t) => t.rootName);
    expect(await names({ status: StatusFilter.ERROR })).toEqual([
      'switchboard.order.v1.OrderService/CancelOrder',
    ]);
    expect(await names({ service: 'inventory-service' })).toHaveLength(2);
    expect(
      await names({ method: 'switchboard.inventory.v1.InventoryService/ReserveStock' }),
    ).toEqual(['switchboard.order.v1.OrderService/PlaceOrder']);
    expect(await names({ minDurationMs: 1_500 })).toEqual([
      'switchboard.inventory.v1.InventoryService/ListProducts',
    ]);
    expect(
      (await list({ traceId: orderTraceId.slice(0, 6).toUpperCase() })).traces[0]!.traceId,
    ).toBe(orderTraceId);
    expect(await list({ status: StatusFilter.OK, limit: 1 })).toMatchObject({ matched: 3 });
    expect((await list({ status: StatusFilter.OK, limit: 1 })).traces).toHaveLength(1);
  });

  it('gives a trace its spans in start order with their events, the linked consumer run and the logs that carry its id', async () => {
    const got = (await methods().getTrace!(
      create(GetTraceRequestSchema, { traceId: orderTraceId }),
      ctx,
    )) as GetTraceResponse;
    const starts = got.spans.map(
      (s) => s.startTime!.seconds * 1_000_000_000n + BigInt(s.startTime!.nanos),
    );
    expect([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(starts);
    const shown = got.spans.map((s) => [s.service, s.name, ProtoSpanKind[s.kind]]);
    expect(shown).toEqual(
      expect.arrayContaining([
        ['order-service', 'switchboard.order.v1.OrderService/PlaceOrder', 'SERVER'],
        ['order-service', 'switchboard.inventory.v1.InventoryService/ReserveStock', 'CLIENT'],
        ['inventory-service', 'switchboard.inventory.v1.InventoryService/ReserveStock', 'SERVER'],
        ['order-service', 'sales.orders.v1 publish', 'PRODUCER'],
        ['reporting-service', 'sales.orders.v1 process', 'CONSUMER'],
        ['reporting-service', 'insert', 'CLIENT'],
      ]),
    );
    expect(got.spans).toHaveLength(7);
    // The Kafka hop both ways: the process span is the producer's child, the run links to it.
    const consumers = got.spans.filter((s) => s.kind === ProtoSpanKind.CONSUMER);
    expect(consumers.find((s) => s.traceId === orderTraceId)!.parentSpanId).toBe(producerSpanId);
    const run = consumers.find((s) => s.traceId === runTraceId)!;
    expect(run.parentSpanId).toBe('');
    expect(run.links).toEqual([
      expect.objectContaining({ traceId: orderTraceId, spanId: producerSpanId }),
    ]);
    const place = got.spans.find((s) => s.name.endsWith('PlaceOrder'))!;
    expect(place.attributes.map((a) => [a.key, a.value])).toEqual([
      ['rpc.system', '"grpc"'],
      ['rpc.grpc.status_code', '0'],
    ]);
    expect(place.status).toBe(SpanStatus.UNSPECIFIED);
    const reserve = got.spans.find((s) => s.service === 'inventory-service')!;
    expect(reserve.events).toEqual([
      expect.objectContaining({
        name: 'reserved',
        attributes: [
          expect.objectContaining({ key: 'sku', value: '"p-1"' }),
          expect.objectContaining({ key: 'quantity', value: '2' }),
        ],
      }),
    ]);
    expect(got.logs).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        service: 'order-service',
        body: 'order placed',
        traceId: orderTraceId,
        spanId: place.spanId,
        attributes: [expect.objectContaining({ key: 'orderId', value: '"o-1"' })],
      }),
    ]);
  });

  it('says NOT_FOUND for a trace it does not hold, and INVALID_ARGUMENT for an id that is not one', async () => {
    const get = (traceId: string) =>
      Promise.resolve().then(() =>
        methods().getTrace!(create(GetTraceRequestSchema, { traceId }), ctx),
      );
    const missing = await get('0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConnectError);
    expect(missing).toMatchObject({ code: Code.NotFound });
    expect((missing as Error).message).toContain('no trace 0123456789abcdef0123456789abcdef');
    await expect(get('xyz')).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});
