import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { SpanKind, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ConsoleService,
  EdgeKind,
  HealthStatus,
  type WatchSystemResponse,
} from '@switchboard/contracts';
import { createOtlpHttpHandler } from '@switchboard/otlp-receiver';
import { startRpcServer, type RunningRpcServer } from '@switchboard/rpc';
import { createTestLogger, eventually } from '@switchboard/testing';
import { createManualClock, type ManualClock } from '@switchboard/timing';
import { createTelemetryStore } from '../telemetry/create-telemetry-store';
import type { TelemetryStore } from '../telemetry/telemetry-store';
import { createSystemMapMethods } from './create-system-map-methods';

// The map against a real gRPC server (libs/rpc's, as every service runs it,
// with its grpc.health.v1 driven by a probe the test controls), served over
// Connect on a real socket and read by a Connect client, as the browser does.
const refreshMs = 5_000;

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

describe('createSystemMapMethods: WatchSystem', () => {
  let service: RunningRpcServer;
  let databaseUp = true;
  const healthClock = createManualClock();
  let mapClock: ManualClock;
  let store: TelemetryStore;
  let console_: Server;
  let consoleUrl: string;
  let broker: ReturnType<typeof createTcpServer>;
  let brokerPort: number;
  let edge: Server;
  let edgePort: number;
  let closedPort: number;

  beforeAll(async () => {
    service = await startRpcServer({
      logger: createTestLogger('order-service'),
      host: '127.0.0.1',
      port: 0,
      maxReceiveBytes: 64 * 1024,
      shutdownGraceMs: 500,
      probes: {
        database: async () => {
          if (!databaseUp) throw new Error('database down');
        },
      },
      healthIntervalMs: 1_000,
      healthClock,
      register: () => {},
    });
    // A socket that accepts, for the broker, and one that refuses, for a database that is down.
    broker = createTcpServer((socket) => socket.destroy());
    brokerPort = await listen(broker);
    const closed = createTcpServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    edge = createHttpServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
    edgePort = await listen(edge);

    mapClock = createManualClock(Date.now());
    store = createTelemetryStore();
    const otlp = createOtlpHttpHandler(store);
    const methods = createSystemMapMethods({
      store,
      targets: [
        { id: 'order-service', kind: 'service', address: `127.0.0.1:${service.port}` },
        { id: 'gone-service', kind: 'service', address: `127.0.0.1:${closedPort}` },
        { id: 'edge-gateway', kind: 'edge', address: `http://127.0.0.1:${edgePort}` },
      ],
      kafkaBrokers: [`127.0.0.1:${brokerPort}`],
      databaseUrl: `postgres://postgres:hunter2@127.0.0.1:${closedPort}/postgres`,
      clock: mapClock,
      refreshMs,
    });
    const connect = connectNodeAdapter({
      routes: (router) => router.service(ConsoleService, methods),
    });
    console_ = createHttpServer((req, res) => {
      if (!otlp(req, res)) connect(req, res);
    });
    consoleUrl = `http://127.0.0.1:${await listen(console_)}`;
  });

  afterAll(async () => {
    await service.close();
    console_.closeAllConnections();
    edge.closeAllConnections();
    await Promise.all(
      [console_, edge, broker].map((s) => new Promise((resolve) => s.close(resolve))),
    );
  });

  it('sends the map at once, again on each health change and every refresh, and stops when the client goes away', async () => {
    const client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: consoleUrl, httpVersion: '1.1' }),
    );
    const abort = new AbortController();
    const stream = client.watchSystem({}, { signal: abort.signal })[Symbol.asyncIterator]();
    const next = async (): Promise<WatchSystemResponse> => {
      const { value, done } = await stream.next();
      if (done) throw new Error('the stream ended');
      return value;
    };
    const healthOf = (map: WatchSystemResponse) =>
      Object.fromEntries(map.nodes.map((n) => [n.id, HealthStatus[n.health]]));
    let latest: WatchSystemResponse | undefined;
    /** The latest snapshot if it satisfies the check, else the next one that does; health changes arrive without the clock moving. */
    const until = async (check: (map: WatchSystemResponse) => boolean) => {
      while (!latest || !check(latest)) latest = await next();
      return latest;
    };

    const first = await next();
    latest = first;
    expect(first.nodes.map((n) => n.id)).toEqual([
      'order-service',
      'gone-service',
      'edge-gateway',
      'kafka',
      'postgres',
    ]);
    expect(healthOf(first)).toMatchObject({
      'edge-gateway': 'SERVING',
      kafka: 'SERVING',
      postgres: 'UNREACHABLE',
    });
    expect(first.nodes.find((n) => n.id === 'postgres')!.address).toBe(
      `postgres://postgres:***@127.0.0.1:${closedPort}/postgres`,
    );
    expect(first.telemetry.map((s) => s.signal)).toEqual(['traces', 'metrics', 'logs']);

    const live = await until(
      (m) =>
        healthOf(m)['order-service'] === 'SERVING' && healthOf(m)['gone-service'] === 'UNREACHABLE',
    );
    expect(live.edges).toEqual([]);

    // The service's own probe fails: its Watch reports it and the map follows, with no refresh.
    databaseUp = false;
    await healthClock.advance(1_000);
    await until((m) => healthOf(m)['order-service'] === 'NOT_SERVING');
    databaseUp = true;
    await healthClock.advance(1_000);
    await healthClock.advance(1_000);
    await until((m) => healthOf(m)['order-service'] === 'SERVING');

    // Telemetry arrives over OTLP from the SDK; the next refresh shows its rates and arrows.
    const resource = resourceFromAttributes({ 'service.name': 'order-service' });
    const meters = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${consoleUrl}/v1/metrics` }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    const duration = meters.getMeter('switchboard/rpc').createHistogram('rpc.server.duration', {
      unit: 'ms',
      advice: { explicitBucketBoundaries: [10, 100] },
    });
    for (let i = 0; i < 29; i++) duration.record(5, { 'rpc.grpc.status_code': 0 });
    duration.record(50, { 'rpc.grpc.status_code': 13 });
    await meters.shutdown();
    const tracing = new TracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${consoleUrl}/v1/traces` }),
        }),
      ],
    });
    const tracer = tracing.getTracer('t');
    const place = tracer.startSpan('PlaceOrder', { kind: SpanKind.SERVER });
    tracer
      .startSpan(
        'sales.orders.v1 publish',
        {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.destination.name': 'sales.orders.v1' },
        },
        trace.setSpan(ROOT_CONTEXT, place),
      )
      .end();
    place.end();
    await tracing.shutdown();

    await mapClock.advance(refreshMs);
    // A refresh sends a snapshot though no health changed.
    const refreshed = await next();
    const order = refreshed.nodes.find((n) => n.id === 'order-service')!;
    expect(order.requestsPerSecond).toBeCloseTo(30 / 60, 6);
    expect(order.errorRatio).toBeCloseTo(1 / 30, 6);
    expect(order.p99Ms).toBeGreaterThan(10);
    expect(order.p99Ms).toBeLessThanOrEqual(100);
    expect(refreshed.edges).toEqual([
      expect.objectContaining({
        fromNode: 'order-service',
        toNode: 'kafka',
        kind: EdgeKind.PRODUCE,
        labels: ['sales.orders.v1'],
        spanCount: 1n,
      }),
    ]);
    expect(refreshed.telemetry.find((s) => s.signal === 'traces')!.items).toBe(2n);

    // The client goes away: the stream ends, and with it every timer and watch it started.
    expect(mapClock.pending).toBeGreaterThan(0);
    abort.abort();
    await expect(stream.next()).rejects.toThrow();
    await eventually(async () => mapClock.pending === 0, 5_000, 'the refresh and retries to stop');
  });
});
