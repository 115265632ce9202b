import { Writable } from 'node:stream';
import { trace, type Span, type SpanContext } from '@opentelemetry/api';
import { InventoryService } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  uniformAccess,
  type GrpcJsTransport,
  type RpcServer,
} from '@switchboard/rpc';
import { startTelemetry, type Telemetry } from './start-telemetry';
import { startRawUnaryServer } from './testing/start-raw-unary-server';

const GET_PRODUCT = `/${InventoryService.typeName}/${InventoryService.method.getProduct.name}`;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** A bare grpc-js server answering GetProduct with an empty message, keeping the traceparent it got. */
async function startDownstream() {
  const traceparents: string[] = [];
  const server = await startRawUnaryServer(GET_PRODUCT, (call) => {
    traceparents.push(String(call.metadata.get('traceparent')[0] ?? ''));
  });
  return { traceparents, address: `127.0.0.1:${server.port}`, close: server.close };
}

describe('telemetry with no exporter: ids without recording', () => {
  let telemetry: Telemetry;
  let downstream: Awaited<ReturnType<typeof startDownstream>>;
  let front: RpcServer;
  let toDownstream: GrpcJsTransport;
  let toFront: GrpcJsTransport;
  const lines: Record<string, unknown>[] = [];
  const handlerSpans: Span[] = [];

  beforeAll(async () => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('OTEL_')) delete process.env[name];
    }
    telemetry = await startTelemetry({ service: 'propagation-spec', metricsPort: 0 });
    downstream = await startDownstream();
    toDownstream = createGrpcJsTransport({ address: downstream.address });
    const dependency = createServiceClient(InventoryService, toDownstream);
    const logger = createLogger({
      service: 'propagation-spec',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    });
    front = createRpcServer({
      logger,
      host: '127.0.0.1',
      port: 0,
      maxReceiveBytes: 64 * 1024,
      shutdownGraceMs: 1000,
    });
    front.addService(
      InventoryService,
      {
        async getProduct(request, ctx) {
          handlerSpans.push(trace.getActiveSpan()!);
          ctx.logger.info({ sku: request.sku }, 'asking downstream');
          return dependency.getProduct({ sku: request.sku });
        },
      },
      { access: uniformAccess(InventoryService, 'public') },
    );
    const port = await front.start();
    toFront = createGrpcJsTransport({ address: `127.0.0.1:${port}` });
  });

  afterAll(async () => {
    toFront?.close();
    toDownstream?.close();
    await front?.shutdown();
    downstream?.close();
    await telemetry?.close();
  });

  async function callWith(traceparent: string, sku: string) {
    const before = handlerSpans.length;
    await createServiceClient(InventoryService, toFront).getProduct(
      { sku },
      { headers: { traceparent } },
    );
    const span = handlerSpans[before];
    const sent = TRACEPARENT.exec(downstream.traceparents[before] ?? '');
    return { span, spanContext: span?.spanContext() as SpanContext, sent };
  }

  it('runs the handler in a non-recording span of the caller’s trace, and sends that trace on', async () => {
    const { span, spanContext, sent } = await callWith(`00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, 'A1');

    expect(span?.isRecording()).toBe(false);
    expect(spanContext.traceId).toBe(TRACE_ID);
    expect(spanContext.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanContext.spanId).not.toBe(CALLER_SPAN_ID);
    // Sampled as the caller asked (parentbased_always_on): an exporting service downstream keeps its spans.
    expect(spanContext.traceFlags).toBe(1);

    // The outgoing call's traceparent: the same trace, a new span (the client's), still sampled.
    expect(sent).not.toBeNull();
    const [, sentTraceId, sentSpanId, sentFlags] = sent!;
    expect(sentTraceId).toBe(TRACE_ID);
    expect([CALLER_SPAN_ID, spanContext.spanId]).not.toContain(sentSpanId);
    expect(sentFlags).toBe('01');

    // The handler's log line names the trace and its span.
    const line = lines.find((l) => l.msg === 'asking downstream' && l.sku === 'A1');
    expect(line).toMatchObject({ trace_id: TRACE_ID, span_id: spanContext.spanId });
  });

  it('keeps a caller’s "not sampled" decision on the way out', async () => {
    const { span, spanContext, sent } = await callWith(`00-${TRACE_ID}-${CALLER_SPAN_ID}-00`, 'B1');
    expect(span?.isRecording()).toBe(false);
    expect(spanContext.traceFlags).toBe(0);
    expect(sent?.[1]).toBe(TRACE_ID);
    expect(sent?.[3]).toBe('00');
  });

  it('starts a trace of its own for a call that brings none', async () => {
    const before = handlerSpans.length;
    await createServiceClient(InventoryService, toFront).getProduct({ sku: 'C1' });
    const spanContext = handlerSpans[before]!.spanContext();
    expect(trace.isSpanContextValid(spanContext)).toBe(true);
    expect(spanContext.traceId).not.toBe(TRACE_ID);
    const sent = TRACEPARENT.exec(downstream.traceparents[before] ?? '');
    expect(sent?.[1]).toBe(spanContext.traceId);
    expect(sent?.[3]).toBe('01');
  });

  it('still counts the call in the duration histogram at /metrics', async () => {
    const count = async () => {
      const body = await (await fetch(telemetry.metricsUrl!)).text();
      const line = body
        .split('\n')
        .find(
          (l) =>
            l.startsWith('rpc_server_duration_count{') &&
            l.includes('rpc_method="GetProduct"') &&
            l.includes('rpc_grpc_status_code="0"'),
        );
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const before = await count();
    await createServiceClient(InventoryService, toFront).getProduct({ sku: 'D1' });
    expect((await count()) - before).toBe(1);
  });
});
