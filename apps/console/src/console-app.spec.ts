import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ConsoleService, HealthStatus, NodeKind } from '@switchboard/contracts';
import { eventually, startServiceProcess, type ServiceProcess } from '@switchboard/testing';
import { Kafka } from 'kafkajs';
import {
  listeningUrl,
  spawnConsoleProcess,
  type ConsoleProcess,
} from './testing/start-console-process';

const ADMIN = {
  email: 'console-app-admin@switchboard.test',
  password: 'console-app-admin-password',
};
/** Port 1 on loopback: refused at once, never a service another run started. */
const DOWN = '127.0.0.1:1';

/** One span as OTLP/JSON carries it (hex ids, nanosecond strings). */
function otlpTrace(traceId: string, service: string) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                name: 'switchboard.order.v1.OrderService/PlaceOrder',
                kind: 2,
                startTimeUnixNano: String(now - 5_000_000n),
                endTimeUnixNano: String(now),
                status: {},
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('the console, composed by main.ts, against a real broker and the real auth service', () => {
  let auth: ServiceProcess;
  let app: ConsoleProcess;
  let url: string;
  let client: Client<typeof ConsoleService>;
  let uiDir: string;

  beforeAll(async () => {
    auth = await startServiceProcess({
      app: 'auth-service',
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    });
    uiDir = await mkdtemp(join(tmpdir(), 'console-ui-'));
    await writeFile(join(uiDir, 'index.html'), '<!doctype html><title>console</title>');
    app = await spawnConsoleProcess({
      CONSOLE_UI_DIR: uiDir,
      AUTH_ADDR: auth.address,
      INVENTORY_ADDR: DOWN,
      ORDER_ADDR: DOWN,
      POST_ADDR: DOWN,
      NOTIFICATION_ADDR: DOWN,
      REPORTING_ADDR: DOWN,
      SUBSCRIPTION_ADDR: DOWN,
      EDGE_URL: `http://${DOWN}`,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      CONSOLE_MAX_OTLP_BODY_BYTES: '4096',
      // Its own spans exported at once, so the test waits for them, not for a timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    url = await listeningUrl(app);
    client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: url, httpVersion: '1.1' }),
    );
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await auth?.stop();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
  });

  it('draws the system map: auth SERVING, the services that are down UNREACHABLE, the broker and the database', async () => {
    const abort = new AbortController();
    let snapshot;
    try {
      for await (const res of client.watchSystem({}, { signal: abort.signal })) {
        // Health arrives from each watch on its own: wait for auth's answer.
        if (res.nodes.some((n) => n.id === 'auth-service' && n.health === HealthStatus.SERVING)) {
          snapshot = res;
          break;
        }
      }
    } finally {
      abort.abort();
    }
    const health = Object.fromEntries(snapshot!.nodes.map((n) => [n.id, n.health]));
    expect(health).toMatchObject({
      'auth-service': HealthStatus.SERVING,
      'order-service': HealthStatus.UNREACHABLE,
    });
    const kinds = snapshot!.nodes.map((n) => n.kind);
    expect(kinds.filter((k) => k === NodeKind.SERVICE)).toHaveLength(7);
    expect(kinds).toEqual(
      expect.arrayContaining([NodeKind.BROKER, NodeKind.DATABASE, NodeKind.EDGE]),
    );
    expect(snapshot!.nodes.find((n) => n.kind === NodeKind.DATABASE)?.address ?? '').not.toContain(
      'postgres:postgres@',
    );
  });

  it('keeps what arrives on its OTLP endpoint and lists it as a trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlpTrace(traceId, 'order-service')),
    });
    expect(res.status).toBe(200);
    const listed = await client.listTraces({ traceId });
    expect(listed.traces.map((t) => [t.traceId, t.rootService])).toEqual([
      [traceId, 'order-service'],
    ]);
  });

  it('refuses malformed and oversized OTLP with a clear 4xx, and keeps serving', async () => {
    const malformed = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff]),
    });
    expect(malformed.status).toBe(400);
    const oversized = await fetch(`${url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [], padding: 'x'.repeat(8192) }),
    });
    expect(oversized.status).toBe(413);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("lists the broker's topics", async () => {
    const topic = `console-app-spec.${randomUUID()}`;
    const admin = new Kafka({
      clientId: 'console-app-spec',
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: 0,
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const { topics } = await client.listTopics({});
    expect(topics.find((t) => t.name === topic)?.partitions).toHaveLength(2);
  });

  it("calls a service through the explorer, and keeps the console's own span of that call", async () => {
    const responses = [];
    for await (const res of client.invoke({
      service: 'switchboard.auth.v1.AuthService',
      method: 'Login',
      requestJson: JSON.stringify(ADMIN),
    })) {
      responses.push(res);
    }
    const status = responses.at(-1)!.result;
    expect(status.case === 'status' && status.value.codeName).toBe('OK');
    const traceId = responses[0]!.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // Exported by the console's telemetry to its own receiver, then read back.
    const spans = await eventually(
      async () => {
        // NOT_FOUND until the first batch has arrived.
        const found = await client.getTrace({ traceId }).catch((err: unknown) => {
          if (err instanceof ConnectError && err.code === Code.NotFound) return undefined;
          throw err;
        });
        return found?.spans.some((s) => s.name.startsWith('explorer ')) ? found.spans : undefined;
      },
      20_000,
      "the console's own span of the call",
    );
    expect(spans.find((s) => s.name.startsWith('explorer '))).toMatchObject({
      service: 'console',
      name: 'explorer switchboard.auth.v1.AuthService/Login',
    });
  });
});
