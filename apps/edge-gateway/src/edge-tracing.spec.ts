import { AuthService, InventoryService } from '@switchboard/contracts';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@switchboard/otlp-receiver';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  eventually,
  freePort,
  startServiceProcess,
  type ServiceProcess,
} from '@switchboard/testing';
import { ADMIN } from './testing/edge-test-harness';
import { startEdgeProcess, type EdgeProcess } from './testing/start-edge-process';

jest.setTimeout(120_000);

/**
 * The edge in a trace: the gateway, auth and inventory as real processes
 * (the services on PostgreSQL), each exporting its spans over OTLP/HTTP to
 * one real receiver, as `npm start` does with OTEL_EXPORTER_OTLP_ENDPOINT.
 */
describe('the edge gateway in a trace', () => {
  let receiver: OtlpReceiver;
  let auth: ServiceProcess;
  let inventory: ServiceProcess;
  let edge: EdgeProcess;
  let adminToken: string;
  const sku = `TRACE-LAMP-${process.pid}`;

  const spansOf = (traceId: string): ReceivedSpan[] => receiver.store.trace(traceId) ?? [];
  const edgeSpanOf = (traceId: string) =>
    eventually(
      async () => spansOf(traceId).find((s) => s.service === 'edge-gateway' && s.kind === 'server'),
      15_000,
      `the edge's server span in ${traceId}`,
    );

  /** The spans from `span` up to the root of what was received, `span` first. */
  function ancestry(span: ReceivedSpan): ReceivedSpan[] {
    const byId = new Map(spansOf(span.traceId).map((s) => [s.spanId, s]));
    const chain = [span];
    for (let s = byId.get(span.parentSpanId ?? ''); s !== undefined;) {
      chain.push(s);
      s = byId.get(s.parentSpanId ?? '');
    }
    return chain;
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ port: 0 });
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Export each batch quickly, so the test waits for spans, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    auth = await startServiceProcess({
      app: 'auth-service',
      env: { ...otel, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    });
    inventory = await startServiceProcess({
      app: 'inventory-service',
      env: { ...otel, AUTH_ADDR: auth.address },
    });
    // A port freePort just closed: nothing listens there, an upstream that is down.
    const down = `127.0.0.1:${await freePort()}`;
    edge = await startEdgeProcess({
      ...otel,
      LOG_LEVEL: 'info',
      AUTH_ADDR: auth.address,
      INVENTORY_ADDR: inventory.address,
      // Orders are down: the 5xx case.
      ORDER_ADDR: down,
      POST_ADDR: down,
      NOTIFICATION_ADDR: down,
    });

    const authTransport = createGrpcJsTransport({ address: auth.address });
    const inventoryTransport = createGrpcJsTransport({ address: inventory.address });
    try {
      adminToken = (await createServiceClient(AuthService, authTransport).login(ADMIN)).accessToken;
      await createServiceClient(InventoryService, inventoryTransport).createProduct(
        {
          sku,
          name: 'Traced lamp',
          unitPrice: { currencyCode: 'EUR', amountMinor: 990n },
          initialQuantity: 5,
        },
        { headers: { authorization: `Bearer ${adminToken}` } },
      );
    } finally {
      authTransport.close();
      inventoryTransport.close();
    }
  }, 300_000);

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([inventory?.stop(), auth?.stop()]);
    await receiver?.close();
  });

  it("continues the caller's trace: a REST call's server span, with the service's spans under it", async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpanId = 'b7ad6b7169203331';
    const res = await fetch(`${edge.url}/v1/products/${sku}`, {
      headers: {
        authorization: `Bearer ${adminToken}`,
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');

    const edgeSpan = await edgeSpanOf(traceId);
    expect(edgeSpan.parentSpanId).toBe(callerSpanId);
    // Named by the template, never by the path with the sku in it.
    expect(edgeSpan.name).toBe('GET /v1/products/{sku}');
    expect(edgeSpan.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/v1/products/{sku}',
      'url.path': `/v1/products/${sku}`,
      'http.response.status_code': 200,
      'switchboard.edge.protocol': 'rest',
      'switchboard.request_id': requestId,
    });
    expect(edgeSpan.status.code).toBe('unset');

    const service = await eventually(
      async () =>
        spansOf(traceId).find(
          (s) =>
            s.service === 'inventory-service' &&
            s.name === 'switchboard.inventory.v1.InventoryService/GetProduct',
        ),
      15_000,
      "inventory's GetProduct span",
    );
    const chain = ancestry(service);
    // inventory's server span <- the edge's client span <- the edge's server span <- the caller.
    expect(chain.map((s) => `${s.service} ${s.kind}`)).toEqual([
      'inventory-service server',
      'edge-gateway client',
      'edge-gateway server',
    ]);
    expect(chain.at(-1)!.spanId).toBe(edgeSpan.spanId);

    // The access log line names the same trace and the edge's span.
    const line = edge.lines().find((l) => l.msg === 'request' && l.requestId === requestId);
    expect(line).toMatchObject({
      trace_id: traceId,
      span_id: edgeSpan.spanId,
      route: '/v1/products/{sku}',
      protocol: 'rest',
      status: 200,
    });
  });

  it('does the same for the Connect protocol, with the method path as the route', async () => {
    const traceId = '1af7651916cd43dd8448eb211c80319d';
    const res = await fetch(`${edge.url}/switchboard.inventory.v1.InventoryService/GetProduct`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-c7ad6b7169203332-01`,
      },
      body: JSON.stringify({ sku }),
    });
    expect(res.status).toBe(200);
    const edgeSpan = await edgeSpanOf(traceId);
    expect(edgeSpan.name).toBe('POST /switchboard.inventory.v1.InventoryService/GetProduct');
    expect(edgeSpan.attributes).toMatchObject({
      'http.route': '/switchboard.inventory.v1.InventoryService/GetProduct',
      'switchboard.edge.protocol': 'connect',
      'http.response.status_code': 200,
    });
    const service = await eventually(
      async () =>
        spansOf(traceId).find((s) => s.service === 'inventory-service' && s.kind === 'server'),
      15_000,
      "inventory's GetProduct span",
    );
    expect(ancestry(service).map((s) => s.spanId)).toContain(edgeSpan.spanId);
  });

  it('starts the trace itself when the caller sends none', async () => {
    const res = await fetch(`${edge.url}/v1/products/${sku}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const edgeSpan = await eventually(
      async () =>
        receiver.store
          .traces()
          .flatMap((t) => spansOf(t.traceId))
          .find((s) => s.attributes['switchboard.request_id'] === requestId),
      15_000,
      'the edge span of the untraced request',
    );
    expect(edgeSpan.parentSpanId).toBeUndefined();
    const service = await eventually(
      async () =>
        spansOf(edgeSpan.traceId).find(
          (s) => s.service === 'inventory-service' && s.kind === 'server',
        ),
      15_000,
      "inventory's GetProduct span",
    );
    expect(ancestry(service).at(-1)!.spanId).toBe(edgeSpan.spanId);
  });

  it('marks a 5xx as an error, and gives an unknown path no route', async () => {
    const traceId = '2af7651916cd43dd8448eb211c80319e';
    const down = await fetch(`${edge.url}/v1/orders/order-123`, {
      headers: {
        authorization: `Bearer ${adminToken}`,
        traceparent: `00-${traceId}-d7ad6b7169203333-01`,
      },
    });
    expect(down.status).toBe(503);
    const edgeSpan = await edgeSpanOf(traceId);
    expect(edgeSpan.name).toBe('GET /v1/orders/{order_id}');
    expect(edgeSpan.status.code).toBe('error');
    expect(edgeSpan.attributes).toMatchObject({
      'http.response.status_code': 503,
      'error.type': '503',
    });

    const unknownTrace = '3af7651916cd43dd8448eb211c80319f';
    const unknown = await fetch(`${edge.url}/v1/no-such-thing/42`, {
      headers: { traceparent: `00-${unknownTrace}-e7ad6b7169203334-01` },
    });
    expect(unknown.status).toBe(404);
    const unrouted = await edgeSpanOf(unknownTrace);
    // A guessed path must not become a span name or a metric series.
    expect(unrouted.name).toBe('GET');
    expect(unrouted.attributes['http.route']).toBeUndefined();
    expect(unrouted.attributes['url.path']).toBe('/v1/no-such-thing/42');
    expect(unrouted.status.code).toBe('unset');
  });

  it('counts requests in http.server.request.duration by route template', async () => {
    const started = edge.lines().find((l) => l.msg === 'telemetry started');
    const body = await (await fetch(String(started?.metrics))).text();
    const series = body
      .split('\n')
      .filter((l) => l.startsWith('http_server_request_duration_count{'));
    expect(series).toContainEqual(expect.stringContaining('http_route="/v1/products/{sku}"'));
    expect(series.join('\n')).not.toContain(sku);
    expect(series.join('\n')).not.toContain('no-such-thing');
  });
});
