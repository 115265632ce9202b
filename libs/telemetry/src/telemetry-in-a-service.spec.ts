import { Code, ConnectError } from '@connectrpc/connect';
import { AuthService } from '@switchboard/contracts';
import { startOtlpReceiver, type OtlpReceiver } from '@switchboard/otlp-receiver';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  createTestDatabase,
  eventually,
  freePort,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';
import { startLogCollector, type LogCollector } from './testing/start-log-collector';

/** The count of the server duration histogram for one method and status, from /metrics. */
async function serverCalls(metricsUrl: string, method: string, status: number): Promise<number> {
  const body = await (await fetch(metricsUrl)).text();
  const line = body
    .split('\n')
    .find(
      (l) =>
        l.startsWith('rpc_server_duration_count{') &&
        l.includes(`rpc_method="${method}"`) &&
        l.includes(`rpc_grpc_status_code="${status}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('telemetry in a real service process (auth-service on PostgreSQL)', () => {
  let receiver: OtlpReceiver;
  // The receiver keeps no log records: the service's log lines go here, in http/json.
  let logCollector: LogCollector;
  const spansOf = (traceId: string) => receiver.store.trace(traceId) ?? [];
  let database: TestDatabase;
  let auth: ServiceProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ port: 0 });
    logCollector = await startLogCollector();
    database = await createTestDatabase('telemetry_spec');
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    auth = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: database.url,
        AUTH_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        // Export each batch quickly, so the test waits for spans, not for a timer.
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${logCollector.url}/v1/logs`,
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
      },
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await receiver?.close();
    await logCollector?.close();
    await database?.drop();
  });

  it('serves /metrics whose RPC counter moves by exactly the calls made', async () => {
    const transport = createGrpcJsTransport({ address: auth.address });
    try {
      const client = createServiceClient(AuthService, transport);
      const before = await serverCalls(metricsUrl, 'GetJwks', 0);
      for (let i = 0; i < 5; i++) await client.getJwks({});
      expect((await serverCalls(metricsUrl, 'GetJwks', 0)) - before).toBe(5);
      const body = await (await fetch(metricsUrl)).text();
      expect(body).toMatch(/^# TYPE rpc_server_duration histogram$/m);
      expect(body).toMatch(/^nodejs_eventloop_delay_p99\{/m);
    } finally {
      transport.close();
    }
  });

  it('exports spans over OTLP http/protobuf: the call under the caller’s trace, its queries as children, its log lines naming the trace', async () => {
    const traceId = '5e1f0a7c2d3b4a5968778695a4b3c2d1';
    const parentSpanId = 'a1b2c3d4e5f60718';
    const transport = createGrpcJsTransport({ address: auth.address });
    try {
      const client = createServiceClient(AuthService, transport);
      const err = await client
        .login(
          { email: 'nobody@switchboard.local', password: 'not-the-password' },
          { headers: { traceparent: `00-${traceId}-${parentSpanId}-01` } },
        )
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(err?.code).toBe(Code.Unauthenticated);
    } finally {
      transport.close();
    }

    const server = await eventually(
      async () => spansOf(traceId).find((s) => s.name === 'switchboard.auth.v1.AuthService/Login'),
      15_000,
      'the Login server span',
    );
    expect(server.parentSpanId).toBe(parentSpanId);
    expect(server.service).toBe('auth-service');
    expect(server.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'Login' });

    // The pg driver was hooked before the bundle loaded it: Login's query is a child span.
    const query = await eventually(
      async () => spansOf(traceId).find((s) => s.parentSpanId === server.spanId),
      15_000,
      'a pg span under the Login span',
    );
    expect(query.service).toBe('auth-service');
    expect(query.attributes['db.system.name'] ?? query.attributes['db.system']).toBe('postgresql');

    // The failed call's log line carries the trace the caller chose.
    const line = await eventually(
      async () =>
        auth
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find(
            (l) => l.msg === 'rpc failed' && l.method === 'switchboard.auth.v1.AuthService/Login',
          ),
      15_000,
      'the rpc failed log line',
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: server.spanId });

    // And the same line as an OTLP log record, from the service runtime's wiring alone.
    const record = await eventually(
      async () =>
        logCollector
          .jsonLogs()
          .flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords))
          .find((r) => r.body.stringValue === 'rpc failed' && r.traceId === traceId),
      15_000,
      'the rpc failed log record',
    );
    expect(record).toMatchObject({ spanId: server.spanId, severityText: line.level });
    expect(record.attributes).toContainEqual({
      key: 'method',
      value: { stringValue: 'switchboard.auth.v1.AuthService/Login' },
    });
    const resource = logCollector.jsonLogs().find((r) => r.scopeLogs.length > 0)?.resource;
    expect(resource?.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'auth-service' },
    });
  });

  it("gives a transaction's statements spans, but not BEGIN, COMMIT or the pool checkout", async () => {
    const traceId = '7a1f0a7c2d3b4a5968778695a4b3c2d2';
    const transport = createGrpcJsTransport({ address: auth.address });
    try {
      // A login takes from the account's attempt budget in a transaction, known email or not.
      await createServiceClient(AuthService, transport)
        .login(
          { email: 'nobody-else@switchboard.local', password: 'not-the-password' },
          { headers: { traceparent: `00-${traceId}-a1b2c3d4e5f60719-01` } },
        )
        .catch(() => undefined);
    } finally {
      transport.close();
    }
    // The server span ends last, so once it is here every span it caused is too.
    const server = await eventually(
      async () => spansOf(traceId).find((s) => s.kind === 'server'),
      15_000,
      'the Login server span',
    );
    const names = spansOf(traceId)
      .filter((s) => s.spanId !== server.spanId)
      .map((s) => s.name);
    expect(names).toContainEqual(expect.stringMatching(/^pg\.query:INSERT /));
    expect(names).toContainEqual(expect.stringMatching(/^pg\.query:SELECT /));
    expect(
      names.filter((n) => /^pg\.query:(BEGIN|START|COMMIT)\b/.test(n) || /connect$/.test(n)),
    ).toEqual([]);
  });

  it('exports over OTLP http/json too, naming the service', async () => {
    const jsonDatabase = await createTestDatabase('telemetry_json_spec');
    const jsonAuth = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: jsonDatabase.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    const transport = createGrpcJsTransport({ address: jsonAuth.address });
    try {
      const traceId = '6f0e1d2c3b4a59687766554433221100';
      await createServiceClient(AuthService, transport).getJwks(
        {},
        { headers: { traceparent: `00-${traceId}-0102030405060708-01` } },
      );
      // The server span, not the first span of the trace to arrive (its queries end sooner).
      const span = await eventually(
        async () => spansOf(traceId).find((s) => s.kind === 'server'),
        15_000,
        'the GetJwks span over http/json',
      );
      expect(span).toMatchObject({
        name: 'switchboard.auth.v1.AuthService/GetJwks',
        service: 'auth-service',
        parentSpanId: '0102030405060708',
      });
    } finally {
      transport.close();
      await jsonAuth.stop();
      await jsonDatabase.drop();
    }
  });
});
