import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { AuthService } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  createTestDatabase,
  freePort,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';

// ---- just enough protobuf to read an OTLP ExportTraceServiceRequest ----

type Fields = Map<number, (Buffer | number)[]>;

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 1;
  for (;;) {
    const byte = buf[at++] ?? 0;
    value += (byte & 0x7f) * shift;
    shift *= 128;
    if (byte < 0x80) return [value, at];
  }
}

function fieldsOf(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let at = 0;
  while (at < buf.length) {
    const [key, next] = varint(buf, at);
    at = next;
    const [field, wire] = [Math.floor(key / 8), key % 8];
    let value: Buffer | number;
    if (wire === 0) [value, at] = varint(buf, at);
    else if (wire === 1) [value, at] = [buf.subarray(at, at + 8), at + 8];
    else if (wire === 5) [value, at] = [buf.subarray(at, at + 4), at + 4];
    else if (wire === 2) {
      const [length, start] = varint(buf, at);
      [value, at] = [buf.subarray(start, start + length), start + length];
    } else throw new Error(`unexpected wire type ${wire}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const messages = (fields: Fields, n: number) =>
  (fields.get(n) ?? []).map((v) => fieldsOf(v as Buffer));
const text = (fields: Fields, n: number) => (fields.get(n)?.[0] as Buffer | undefined)?.toString();
const hex = (fields: Fields, n: number) =>
  (fields.get(n)?.[0] as Buffer | undefined)?.toString('hex') ?? '';

interface ReceivedSpan {
  service: string | undefined;
  name: string | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string | undefined>;
}

/** ExportTraceServiceRequest: resource_spans(1) { resource(1) { attributes(1) }, scope_spans(2) { spans(2) } }. */
function decodeSpans(body: Buffer): ReceivedSpan[] {
  const keyValues = (f: Fields, n: number) =>
    Object.fromEntries(
      messages(f, n).map((kv) => [text(kv, 1), text(messages(kv, 2)[0] ?? new Map(), 1)]),
    );
  return messages(fieldsOf(body), 1).flatMap((resourceSpans) => {
    const resource = keyValues(messages(resourceSpans, 1)[0] ?? new Map(), 1);
    return messages(resourceSpans, 2).flatMap((scopeSpans) =>
      messages(scopeSpans, 2).map((span) => ({
        service: resource['service.name'],
        traceId: hex(span, 1),
        spanId: hex(span, 2),
        parentSpanId: hex(span, 4),
        name: text(span, 5),
        attributes: keyValues(span, 9),
      })),
    );
  });
}

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string };
}
interface JsonRequest {
  resourceSpans: {
    resource: { attributes: JsonKeyValue[] };
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes: JsonKeyValue[];
      }[];
    }[];
  }[];
}

/** The same from OTLP/JSON, whose ids are hex strings. */
function decodeJsonSpans(body: Buffer): ReceivedSpan[] {
  const attrs = (list: JsonKeyValue[]) =>
    Object.fromEntries(list.map((kv) => [kv.key, kv.value.stringValue]));
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return request.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        service: attrs(rs.resource.attributes)['service.name'],
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        attributes: attrs(span.attributes),
      })),
    ),
  );
}

/** A tiny OTLP/HTTP receiver for http/protobuf and http/json, on loopback. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(req.url ?? '');
      contentTypes.add(req.headers['content-type'] ?? '');
      const json = req.headers['content-type'] === 'application/json';
      if (req.url === '/v1/traces') {
        const body = Buffer.concat(chunks);
        spans.push(...(json ? decodeJsonSpans(body) : decodeSpans(body)));
      }
      if (json) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    paths,
    contentTypes,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

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
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let database: TestDatabase;
  let auth: ServiceProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    database = await createTestDatabase('telemetry_spec');
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    auth = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: database.url,
        AUTH_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        // Export each batch quickly, so the test waits for spans, not for a timer.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await receiver?.close();
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

    const server = await until('the Login server span', () =>
      receiver.spans.find(
        (s) => s.traceId === traceId && s.name === 'switchboard.auth.v1.AuthService/Login',
      ),
    );
    expect(server.parentSpanId).toBe(parentSpanId);
    expect(server.service).toBe('auth-service');
    expect(server.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.method': 'Login' });
    expect(receiver.contentTypes).toContain('application/x-protobuf');

    // The pg driver was hooked before the bundle loaded it: Login's query is a child span.
    const query = await until('a pg span under the Login span', () =>
      receiver.spans.find((s) => s.traceId === traceId && s.parentSpanId === server.spanId),
    );
    expect(query.service).toBe('auth-service');
    expect(query.attributes['db.system.name'] ?? query.attributes['db.system']).toBe('postgresql');

    // The failed call's log line carries the trace the caller chose.
    const line = await until('the rpc failed log line', () =>
      auth
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find(
          (l) => l.msg === 'rpc failed' && l.method === 'switchboard.auth.v1.AuthService/Login',
        ),
    );
    expect(line).toMatchObject({ trace_id: traceId, span_id: server.spanId });
  });

  it('exports over OTLP http/json too, naming the service', async () => {
    const jsonDatabase = await createTestDatabase('telemetry_json_spec');
    const jsonAuth = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: jsonDatabase.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
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
      const span = await until('the GetJwks span over http/json', () =>
        receiver.spans.find((s) => s.traceId === traceId),
      );
      expect(span).toMatchObject({
        name: 'switchboard.auth.v1.AuthService/GetJwks',
        service: 'auth-service',
        parentSpanId: '0102030405060708',
      });
      expect(receiver.contentTypes).toContain('application/json');
    } finally {
      transport.close();
      await jsonAuth.stop();
      await jsonDatabase.drop();
    }
  });
});
