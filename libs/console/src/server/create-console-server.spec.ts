import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { ConsoleService, ListTopicsResponseSchema, TopicSchema } from '@switchboard/contracts';
import { errorDetailsOf } from '@switchboard/rpc';
import { createTestLogger } from '@switchboard/testing';
import type { ConsoleMethods } from '../console-methods';
import type { ConsoleServer } from './console-server';
import { createConsoleServer } from './create-console-server';

const INDEX =
  '<!doctype html><title>Switchboard console</title><script src="/assets/main-3F7XQ2KD.js"></script>';
const SCRIPT = 'console.log("the console");';

/** A raw HTTP request, so the test controls the Host header and sees every response header. */
function rawRequest(
  url: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  },
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('createConsoleServer', () => {
  let uiDir: string;
  let server: ConsoleServer;
  let client: Client<typeof ConsoleService>;
  const otlpBodies: { path: string; bytes: number }[] = [];

  // A stand-in part: what is under test is the server's routing, policy and
  // validation, which treat every part alike.
  const topicsPart: ConsoleMethods = {
    listTopics: () =>
      create(ListTopicsResponseSchema, {
        topics: [create(TopicSchema, { name: 'sales.orders.v1', deadLetter: false })],
      }),
    async *tailTopic(request) {
      for (let offset = 0; offset < request.last; offset++) {
        yield { record: { topic: request.topic, offset: BigInt(offset) } };
      }
    },
    getTrace: () => ({ spans: [], logs: [] }),
  };

  beforeAll(async () => {
    uiDir = await mkdtemp(join(tmpdir(), 'console-ui-'));
    await mkdir(join(uiDir, 'assets'));
    await writeFile(join(uiDir, 'index.html'), INDEX);
    await writeFile(join(uiDir, 'assets', 'main-3F7XQ2KD.js'), SCRIPT);
    await writeFile(join(uiDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    server = await createConsoleServer({
      host: '127.0.0.1',
      port: 0,
      methods: [topicsPart],
      otlp(req, res) {
        if (req.method !== 'POST' || req.url !== '/v1/traces') return false;
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => {
          otlpBodies.push({ path: req.url!, bytes });
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        });
        return true;
      },
      uiDir,
      authenticate: () => Promise.reject(new ConnectError('no tokens here', Code.Unauthenticated)),
      logger: createTestLogger('console-server-test'),
      maxRequestBytes: 64 * 1024,
    });
    client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await rm(uiDir, { recursive: true, force: true });
  });

  it('answers GET /healthz with 200 and JSON', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok', service: 'console' });
  });

  it('serves index.html with a policy that forbids remote scripts', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(https?:|\*|'unsafe-inline')/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(INDEX);
  });

  it("answers each view's path with index.html, so its URL can be shared and reloaded", async () => {
    for (const path of [
      '/map',
      '/traces',
      '/traces/0af7651916cd43dd8448eb211c80319c',
      '/topics/sales.orders.v1',
      '/dead-letters/no-such-view.txt',
      '/explorer?service=x',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect({ path, status: res.status, body: await res.text() }).toEqual({
        path,
        status: 200,
        body: INDEX,
      });
    }
  });

  it('serves hashed assets as immutable with their content type, and a plain 404 for unknown ones', async () => {
    const js = await fetch(`${server.url}/assets/main-3F7XQ2KD.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe(SCRIPT);

    const svg = await fetch(`${server.url}/favicon.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');

    const missing = await fetch(`${server.url}/assets/main-OLDHASH1.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await missing.text()).toContain('no such asset');
  });

  it('never serves a file outside the UI directory', async () => {
    for (const path of [
      '/../../../etc/passwd',
      '/assets/..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/hostname',
    ]) {
      const res = await rawRequest(server.url, { path });
      // A 404, or the app's page for a view it does not know: never the file.
      expect(res.status === 404 || res.body === INDEX).toBe(true);
      expect(res.body).not.toMatch(/root:|localhost/);
    }
    expect((await rawRequest(server.url, { path: '/%E0%A4%A' })).status).toBe(400);
  });

  it('refuses a Host name that is not loopback (DNS rebinding)', async () => {
    const res = await rawRequest(server.url, {
      path: '/healthz',
      headers: { host: 'attacker.example:8088' },
    });
    expect(res.status).toBe(421);
    expect(res.body).toContain('loopback host name');
    const ok = await rawRequest(server.url, {
      path: '/healthz',
      headers: { host: `localhost:${server.port}` },
    });
    expect(ok.status).toBe(200);
  });

  it('hands the OTLP paths to the receiver, body untouched', async () => {
    const body = Buffer.alloc(3000, 7);
    const res = await fetch(`${server.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(res.status).toBe(200);
    expect(otlpBodies).toContainEqual({ path: '/v1/traces', bytes: 3000 });
  });

  it("serves a part's unary and server-streaming methods to a Connect client", async () => {
    const topics = await client.listTopics({});
    expect(topics.topics.map((t) => t.name)).toEqual(['sales.orders.v1']);

    const offsets: bigint[] = [];
    for await (const res of client.tailTopic({ topic: 'sales.orders.v1', last: 3 })) {
      offsets.push(res.record!.offset);
    }
    expect(offsets).toEqual([0n, 1n, 2n]);
  });

  it("checks requests against the contract's rules: INVALID_ARGUMENT naming the field", async () => {
    const err = await client.getTrace({ traceId: 'not-a-trace-id' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(errorDetailsOf(err as ConnectError).violations).toEqual([
      expect.objectContaining({ field: 'trace_id' }),
    ]);
    // Streams are checked before their first message.
    const stream = await (async () => {
      for await (const _ of client.tailTopic({ topic: '', last: 1 })) void _;
    })().catch((e: unknown) => e);
    expect((stream as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it('serves gRPC-Web clients too, binary and JSON', async () => {
    for (const useBinaryFormat of [true, false]) {
      const grpcWeb = createClient(
        ConsoleService,
        createGrpcWebTransport({ baseUrl: server.url, httpVersion: '1.1', useBinaryFormat }),
      );
      expect((await grpcWeb.listTopics({})).topics.map((t) => t.name)).toEqual(['sales.orders.v1']);
      const err = await grpcWeb.getTrace({ traceId: 'x' }).catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    }
  });

  it('answers UNIMPLEMENTED for a method no part serves', async () => {
    const err = await client.listServices({}).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.Unimplemented);
  });

  it('answers garbage on the Connect endpoints with clear errors, and keeps serving', async () => {
    const path = `/${ConsoleService.typeName}/ListTopics`;
    const badJson = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topics": [',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 'invalid_argument' });

    const unknownField = await fetch(`${server.url}/${ConsoleService.typeName}/GetTrace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"traceIdd": "x"}',
    });
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toMatchObject({ code: 'invalid_argument' });

    const badProto = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto' },
      body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
    });
    // connect-es answers an undecodable binary message as `internal` (its
    // choice, not ours); the message still says what was wrong.
    expect(await badProto.json()).toMatchObject({
      message: expect.stringContaining('parse binary'),
    });

    const wrongType = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(wrongType.status).toBe(415);

    const tooLarge = await fetch(`${server.url}/${ConsoleService.typeName}/ListTraces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'x'.repeat(100 * 1024) }),
    });
    expect(tooLarge.status).toBe(429);
    expect(await tooLarge.json()).toMatchObject({ code: 'resource_exhausted' });

    const unknownMethod = await fetch(`${server.url}/${ConsoleService.typeName}/DropEverything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknownMethod.status).toBe(404);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await client.listTopics({})).topics).toHaveLength(1);
  });

  it('refuses an admin method without a valid token before any part runs', async () => {
    const err = await client
      .redriveDeadLetters({ topic: 'sales.orders.v1.dlq' })
      .catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
  });
});

describe('createConsoleServer with parts that overlap', () => {
  it('refuses to start when two parts implement the same method', async () => {
    await expect(
      createConsoleServer({
        host: '127.0.0.1',
        port: 0,
        methods: [{ listTopics: () => ({ topics: [] }) }, { listTopics: () => ({ topics: [] }) }],
        otlp: () => false,
        uiDir: tmpdir(),
        authenticate: () => Promise.reject(new Error('unused')),
        logger: createTestLogger('console-server-test'),
      }),
    ).rejects.toThrow('ConsoleService.listTopics is implemented by two console parts');
  });
});

describe('createConsoleServer on close', () => {
  it('ends streams that would never end by themselves once the grace time is over', async () => {
    let opened!: () => void;
    const streamOpened = new Promise<void>((resolve) => (opened = resolve));
    const server = await createConsoleServer({
      host: '127.0.0.1',
      port: 0,
      methods: [
        {
          // Like WatchSystem: sends once, then waits for the client to go away.
          async *tailTopic(request, ctx) {
            yield { record: { topic: request.topic } };
            opened();
            await new Promise<void>((resolve) =>
              ctx.signal.addEventListener('abort', () => resolve()),
            );
          },
        },
      ],
      otlp: () => false,
      uiDir: tmpdir(),
      authenticate: () => Promise.reject(new Error('unused')),
      logger: createTestLogger('console-server-test'),
      shutdownGraceMs: 200,
    });
    const client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    );
    const received: string[] = [];
    const consumed = (async () => {
      for await (const res of client.tailTopic({ topic: 'sales.orders.v1', last: 1 })) {
        received.push(res.record!.topic);
      }
    })().then(
      () => 'ended',
      (err: unknown) => `failed: ${String(err)}`,
    );
    await streamOpened;
    await server.close();
    expect(received).toEqual(['sales.orders.v1']);
    expect(await consumed).toMatch(/ended|failed/);
    // Closed for good: a new connection is refused.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
