import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { durationMs } from '@bufbuild/protobuf/wkt';
import {
  AuthService,
  BadRequestSchema,
  ErrorInfoSchema,
  InventoryService,
  OrderService,
  OrderStatus,
  PreconditionFailureSchema,
  RetryInfoSchema,
} from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type GrpcJsTransport } from '@switchboard/rpc';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningEdgeGateway } from './start-edge-gateway';
import {
  ADMIN,
  startEdgeUpstreams,
  startTestGateway,
  type EdgeUpstreams,
} from './testing/edge-test-harness';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery staple';

describe('the edge gateway, in front of the real services', () => {
  let upstreams: EdgeUpstreams;
  let gateway: RunningEdgeGateway;
  let base: string;
  const transports: GrpcJsTransport[] = [];
  let sku: string;
  let token: string;
  let userId: string;

  function grpc<S extends typeof AuthService | typeof InventoryService | typeof OrderService>(
    service: S,
    address: string,
  ) {
    const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 30_000 });
    transports.push(transport);
    return createServiceClient(service, transport);
  }

  async function rest(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, unknown> };
  }

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  async function expectStillServing() {
    const res = await rest('GET', '/v1/products/' + encodeURIComponent(sku), {
      headers: bearer(token),
    });
    expect(res.status).toBe(200);
  }

  beforeAll(async () => {
    upstreams = await startEdgeUpstreams();
    // A keep-alive far beyond the test's timeout: a watch's headers must not wait for one.
    gateway = await startTestGateway(upstreams, {
      EDGE_MAX_BODY_BYTES: '4096',
      EDGE_SSE_KEEPALIVE_MS: '600000',
    });
    base = gateway.server.url;
    const auth = grpc(AuthService, upstreams.processes.auth.address);
    const inventory = grpc(InventoryService, upstreams.processes.inventory.address);
    const admin = await auth.login(ADMIN);
    sku = `EDGE-${process.pid}-${Date.now()}`;
    await inventory.createProduct(
      {
        sku,
        name: 'Edge lamp',
        unitPrice: { currencyCode: 'EUR', amountMinor: 1_250n },
        initialQuantity: 100,
      },
      { headers: bearer(admin.accessToken) },
    );
    const email = `edge-${Date.now()}@example.com`;
    const registered = await rest('POST', '/v1/auth:register', {
      body: { email, password: PASSWORD, displayName: 'Edgar' },
    });
    expect(registered.status).toBe(200);
    userId = registered.json.userId as string;
    const login = await rest('POST', '/v1/auth:login', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    token = login.json.accessToken as string;
  }, 300_000);

  afterAll(async () => {
    for (const t of transports) t.close();
    await gateway?.close();
    await upstreams?.stop();
  });

  describe('REST-style JSON routes', () => {
    it('lists products and reads one by its path', async () => {
      const list = await rest('GET', '/v1/products?page_size=50', { headers: bearer(token) });
      expect(list.status).toBe(200);
      expect(list.json.products).toEqual(
        expect.arrayContaining([expect.objectContaining({ sku, name: 'Edge lamp' })]),
      );
      const one = await rest('GET', `/v1/products/${encodeURIComponent(sku)}`, {
        headers: bearer(token),
      });
      expect(one.status).toBe(200);
      expect(one.json.product).toMatchObject({
        sku,
        unitPrice: { currencyCode: 'EUR', amountMinor: '1250' },
      });
    });

    it('places an order once per Idempotency-Key, reads it and cancels it', async () => {
      const key = `edge-key-${Date.now()}`;
      const place = () =>
        rest('POST', '/v1/orders', {
          body: { items: [{ sku, quantity: 2 }] },
          headers: { ...bearer(token), 'idempotency-key': key },
        });
      const first = await place();
      const again = await place();
      expect(first.status).toBe(200);
      const order = first.json.order as Record<string, unknown>;
      expect(order).toMatchObject({
        customerId: userId,
        status: 'ORDER_STATUS_PLACED',
        total: { currencyCode: 'EUR', amountMinor: '2500' },
      });
      expect((again.json.order as Record<string, unknown>).orderId).toBe(order.orderId);

      const read = await rest('GET', `/v1/orders/${order.orderId as string}`, {
        headers: bearer(token),
      });
      expect(read.status).toBe(200);
      expect((read.json.order as Record<string, unknown>).orderId).toBe(order.orderId);

      const cancel = await rest('POST', `/v1/orders/${order.orderId as string}:cancel`, {
        headers: bearer(token),
      });
      expect(cancel.status).toBe(200);
      expect(cancel.json.order).toMatchObject({ status: 'ORDER_STATUS_CANCELLED' });
    });

    it('answers a service error with its HTTP status, stable code and request id', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      const res = await rest('GET', `/v1/orders/${missing}`, {
        headers: { ...bearer(token), 'x-request-id': 'edge-spec-req-1' },
      });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({
        code: 'ORDER_NOT_FOUND',
        status: 'NOT_FOUND',
        message: `order ${missing} not found`,
        details: { orderId: missing },
      });
      expect(res.headers.get('x-request-id')).toBe('edge-spec-req-1');
    });

    it('shows what stock is short, per sku, as the service said it', async () => {
      const res = await rest('POST', '/v1/orders', {
        body: { items: [{ sku, quantity: 1000 }] },
        headers: bearer(token),
      });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ code: 'INSUFFICIENT_STOCK', status: 'FAILED_PRECONDITION' });
      expect(res.json.preconditions).toEqual([
        {
          type: 'STOCK',
          subject: sku,
          description: expect.stringMatching(/^requested 1000, available \d+$/),
        },
      ]);
      expect(JSON.parse((res.json.details as Record<string, string>).shortfalls!)).toEqual([
        { sku, requested: 1000, available: expect.any(Number) },
      ]);
    });

    it('passes field violations through', async () => {
      const res = await rest('POST', '/v1/orders', {
        body: { items: [{ sku, quantity: 0 }] },
        headers: bearer(token),
      });
      expect(res.status).toBe(400);
      expect(res.json.status).toBe('INVALID_ARGUMENT');
      expect(res.json.violations).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: expect.any(String) })]),
      );
    });
  });

  describe('the protocol matrix: the same PlaceOrder through every protocol', () => {
    type Protocol = [string, () => Transport];
    const protocols: Protocol[] = [
      [
        'Connect JSON',
        () => createConnectTransport({ baseUrl: base, httpVersion: '1.1', useBinaryFormat: false }),
      ],
      [
        'Connect binary',
        () => createConnectTransport({ baseUrl: base, httpVersion: '1.1', useBinaryFormat: true }),
      ],
      ['gRPC-Web (connect-web)', () => createGrpcWebTransport({ baseUrl: base })],
      [
        'native gRPC (the service itself)',
        () => {
          const t = createGrpcJsTransport({ address: upstreams.processes.order.address });
          transports.push(t);
          return t;
        },
      ],
    ];

    it.each(protocols)('%s gives the same order and the same error codes', async (_, make) => {
      const orders = createClient(OrderService, make());
      const headers = bearer(token);
      const { order } = await orders.placeOrder({ items: [{ sku, quantity: 1 }] }, { headers });
      expect(order).toMatchObject({ customerId: userId, status: OrderStatus.PLACED });
      expect(order?.total).toMatchObject({ currencyCode: 'EUR', amountMinor: 1_250n });
      const viaRest = await rest('GET', `/v1/orders/${order!.orderId}`, { headers });
      expect((viaRest.json.order as Record<string, unknown>).orderId).toBe(order!.orderId);

      const missing = await orders
        .getOrder({ orderId: '00000000-0000-4000-8000-000000000000' }, { headers })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ConnectError);
      expect((missing as ConnectError).code).toBe(Code.NotFound);
      // The standard details, read the standard way: findDetails decodes them on every protocol.
      expect((missing as ConnectError).findDetails(ErrorInfoSchema)).toEqual([
        expect.objectContaining({
          reason: 'ORDER_NOT_FOUND',
          domain: 'switchboard',
          metadata: { orderId: '00000000-0000-4000-8000-000000000000' },
        }),
      ]);

      const invalid = await orders
        .placeOrder({ items: [{ sku, quantity: 0 }] }, { headers })
        .catch((e: unknown) => e);
      expect((invalid as ConnectError).code).toBe(Code.InvalidArgument);
      const [badRequest] = (invalid as ConnectError).findDetails(BadRequestSchema);
      expect(badRequest?.fieldViolations.map((v) => v.field)).toEqual(['items[0].quantity']);

      // A refusal of inventory's, passed on by order, then by the edge, loses nothing.
      const short = await orders
        .placeOrder({ items: [{ sku, quantity: 1000 }] }, { headers })
        .catch((e: unknown) => e);
      expect((short as ConnectError).code).toBe(Code.FailedPrecondition);
      expect((short as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe(
        'INSUFFICIENT_STOCK',
      );
      const [precondition] = (short as ConnectError).findDetails(PreconditionFailureSchema);
      expect(precondition?.violations.map((v) => [v.type, v.subject])).toEqual([['STOCK', sku]]);

      const anonymous = await orders
        .placeOrder({ items: [{ sku, quantity: 1 }] })
        .catch((e: unknown) => e);
      expect((anonymous as ConnectError).code).toBe(Code.Unauthenticated);
    });

    it('Connect serves the NO_SIDE_EFFECTS reads over GET, and nothing else', async () => {
      const message = encodeURIComponent(JSON.stringify({ sku }));
      const path = '/switchboard.inventory.v1.InventoryService/GetProduct';
      const got = await rest('GET', `${path}?connect=v1&encoding=json&message=${message}`, {
        headers: bearer(token),
      });
      expect(got.status).toBe(200);
      expect(got.json.product).toMatchObject({ sku, name: 'Edge lamp' });

      // A generated client switches to GET by itself for the marked methods.
      const orders = createClient(
        OrderService,
        createConnectTransport({ baseUrl: base, httpVersion: '1.1', useHttpGet: true }),
      );
      const { order } = await orders.placeOrder(
        { items: [{ sku, quantity: 1 }] },
        { headers: bearer(token) },
      );
      const read = await orders.getOrder({ orderId: order!.orderId }, { headers: bearer(token) });
      expect(read.order?.orderId).toBe(order!.orderId);

      const write = await rest(
        'GET',
        `/switchboard.order.v1.OrderService/PlaceOrder?connect=v1&encoding=json&message=${encodeURIComponent(
          JSON.stringify({ items: [{ sku, quantity: 1 }] }),
        )}`,
        { headers: bearer(token) },
      );
      expect(write.status).toBe(405);
    });

    it('REST JSON gives the same error codes as the others', async () => {
      const anonymous = await rest('POST', '/v1/orders', {
        body: { items: [{ sku, quantity: 1 }] },
      });
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.status).toBe('UNAUTHENTICATED');
    });
  });

  describe('bad input at the edge', () => {
    const cases: [
      string,
      () => Promise<{ status: number; json: Record<string, unknown> }>,
      number,
    ][] = [
      [
        'malformed JSON',
        () =>
          rest('POST', '/v1/orders', {
            raw: '{"items": [',
            headers: { 'content-type': 'application/json' },
          }),
        400,
      ],
      [
        'an unknown field',
        () =>
          rest('POST', '/v1/auth:login', { body: { email: 'a@b.c', password: 'x', admin: true } }),
        400,
      ],
      [
        'a wrong type',
        () => rest('POST', '/v1/orders', { body: { items: [{ sku: 'x', quantity: 'many' }] } }),
        400,
      ],
      ['an unknown query parameter', () => rest('GET', '/v1/products?color=red'), 400],
      [
        'an oversized body',
        () => rest('POST', '/v1/posts', { body: { text: 'x'.repeat(10_000) } }),
        413,
      ],
      [
        'a wrong content type',
        () =>
          rest('POST', '/v1/auth:login', {
            raw: 'email=a@b.c&password=x',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        415,
      ],
      ['a missing token', () => rest('GET', '/v1/orders'), 401],
      [
        'a forged token',
        () =>
          rest('GET', '/v1/orders', { headers: bearer('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.') }),
        401,
      ],
      ['an unknown path', () => rest('GET', '/v1/nothing-here'), 404],
      ['a method that is not allowed', () => rest('DELETE', '/v1/orders'), 405],
      [
        'an internal method over Connect',
        () =>
          rest('POST', '/switchboard.inventory.v1.InventoryService/ReserveStock', {
            body: { reservationId: 'r', items: [{ sku, quantity: 1 }] },
          }),
        404,
      ],
      [
        'an internal method over Connect, with a token',
        () =>
          rest('POST', '/switchboard.auth.v1.AuthService/VerifyToken', {
            body: { accessToken: 'x' },
            headers: bearer('x'),
          }),
        404,
      ],
      [
        'the service credential exchange over REST (it has no route)',
        () =>
          rest('POST', '/v1/auth:issueServiceToken', {
            body: { clientId: 'order-service', clientSecret: 'dev-order-service-secret' },
          }),
        404,
      ],
      [
        'the service credential exchange over Connect',
        () =>
          rest('POST', '/switchboard.auth.v1.AuthService/IssueServiceToken', {
            body: { clientId: 'order-service', clientSecret: 'dev-order-service-secret' },
          }),
        404,
      ],
    ];

    it.each(cases)(
      '%s gets a clear JSON error and the gateway keeps serving',
      async (_, send, status) => {
        const res = await send();
        expect(res.status).toBe(status);
        expect(typeof res.json).toBe('object');
        expect(res.json.message ?? res.json.code).toEqual(expect.any(String));
        await expectStillServing();
      },
    );

    it('an oversized body over Connect is refused too', async () => {
      const client = createClient(
        OrderService,
        createConnectTransport({ baseUrl: base, httpVersion: '1.1' }),
      );
      const err = await client
        .placeOrder(
          { items: Array.from({ length: 500 }, () => ({ sku: 'x'.repeat(20), quantity: 1 })) },
          { headers: bearer(token) },
        )
        .catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
      await expectStillServing();
    });
  });

  describe('per-client rate limiting of Login and Register', () => {
    it('holds under a burst, on every protocol, and recovers when the clock moves on', async () => {
      let now = 1_000_000;
      const limited = await startTestGateway(
        upstreams,
        { EDGE_AUTH_RATE_BURST: '2', EDGE_AUTH_RATE_REFILL_MS: '60000' },
        () => now,
      );
      try {
        const wrong = { email: 'nobody@example.com', password: 'wrong password' };
        const login = () =>
          fetch(`${limited.server.url}/v1/auth:login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(wrong),
          });
        // The first two reach auth, which refuses the credentials.
        expect((await login()).status).toBe(401);
        expect((await login()).status).toBe(401);
        const refused = await login();
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('60');
        expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED' });
        const viaConnect = await createClient(
          AuthService,
          createConnectTransport({ baseUrl: limited.server.url, httpVersion: '1.1' }),
        )
          .register({ email: 'new@example.com', password: PASSWORD, displayName: 'N' })
          .catch((e: unknown) => e);
        expect((viaConnect as ConnectError).code).toBe(Code.ResourceExhausted);
        expect((viaConnect as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe(
          'RATE_LIMITED',
        );
        const [retry] = (viaConnect as ConnectError).findDetails(RetryInfoSchema);
        expect(durationMs(retry!.retryDelay!)).toBe(60_000);
        now += 60_000;
        expect((await login()).status).toBe(401);
        expect((await login()).status).toBe(429);
      } finally {
        await limited.close();
      }
    });
  });

  describe('server streaming', () => {
    it("shows a follower's notifications over SSE as they arrive", async () => {
      const email = `edge-author-${Date.now()}@example.com`;
      const author = await rest('POST', '/v1/auth:register', {
        body: { email, password: PASSWORD, displayName: 'Ann' },
      });
      const authorLogin = await rest('POST', '/v1/auth:login', {
        body: { email, password: PASSWORD },
      });
      const authorToken = authorLogin.json.accessToken as string;
      const follow = await rest('POST', `/v1/users/${author.json.userId as string}:follow`, {
        headers: bearer(token),
      });
      expect(follow.status).toBe(200);

      const abort = new AbortController();
      const watch = await fetch(`${base}/v1/notifications:watch`, {
        headers: bearer(token),
        signal: abort.signal,
      });
      expect(watch.status).toBe(200);
      expect(watch.headers.get('content-type')).toBe('text/event-stream');
      const reader = watch.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      const firstEvent = (async () => {
        // Comment lines (": keep-alive") keep the connection open; the first data line counts.
        while (!/^data: .*\n\n/m.test(received)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended: ${received}`);
          received += decoder.decode(value, { stream: true });
        }
        return received;
      })();

      // Posted until one arrives: the stream may open before the follow reached notifications.
      let posted = 0;
      const poster = setInterval(() => {
        posted++;
        void rest('POST', '/v1/posts', {
          body: { text: `hello from the edge ${posted}` },
          headers: bearer(authorToken),
        });
      }, 500);
      try {
        const event = await firstEvent;
        const data = JSON.parse(/^data: (.*)$/m.exec(event)![1]!) as {
          notification: { actorId: string; preview: string };
        };
        expect(data.notification.actorId).toBe(author.json.userId);
        expect(data.notification.preview).toMatch(/^hello from the edge/);
      } finally {
        clearInterval(poster);
        abort.abort();
      }
      await expectStillServing();
    });

    it('shuts down gracefully: open streams end, then new connections are refused', async () => {
      const own = await startTestGateway(upstreams, { SHUTDOWN_GRACE_MS: '60000' });
      const watch = await fetch(`${own.server.url}/v1/notifications:watch`, {
        headers: bearer(token),
      });
      expect(watch.status).toBe(200);
      const text = watch.text();
      // The grace is a minute: only ending the stream itself lets close() return at once.
      const closing = own.close();
      await expect(
        Promise.race([
          closing.then(() => 'closed'),
          sleep(10_000, undefined, { ref: false }).then(() => 'still open'),
        ]),
      ).resolves.toBe('closed');
      // The stream ends cleanly (no error event): the client reconnects elsewhere.
      expect(await text).not.toContain('event: error');
      await expect(fetch(`${own.server.url}/healthz`)).rejects.toThrow();
    });

    it('refuses a watch without a token with a JSON error, not a stream', async () => {
      const res = await rest('GET', '/v1/notifications:watch');
      expect(res.status).toBe(401);
      expect(res.json.status).toBe('UNAUTHENTICATED');
    });
  });

  describe('health and the OpenAPI document', () => {
    it('serves the OpenAPI document of its routes', async () => {
      const res = await rest('GET', '/openapi.json');
      expect(res.status).toBe(200);
      expect(res.json.openapi).toBe('3.1.0');
      expect(Object.keys(res.json.paths as object)).toContain('/v1/orders/{order_id}:cancel');
    });

    it('answers CORS preflights for allowed origins only', async () => {
      const cors = await startTestGateway(upstreams, {
        EDGE_CORS_ORIGINS: 'https://shop.example.com',
      });
      try {
        const preflight = (origin: string) =>
          fetch(`${cors.server.url}/switchboard.order.v1.OrderService/PlaceOrder`, {
            method: 'OPTIONS',
            headers: {
              origin,
              'access-control-request-method': 'POST',
              'access-control-request-headers': 'content-type, authorization',
            },
          });
        const allowed = await preflight('https://shop.example.com');
        expect(allowed.status).toBe(204);
        expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
        expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
        const other = await preflight('https://evil.example.com');
        expect(other.status).toBe(403);
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await cors.close();
      }
    });

    it('/healthz reflects every upstream', async () => {
      const res = await rest('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        status: 'SERVING',
        upstreams: {
          auth: 'SERVING',
          inventory: 'SERVING',
          order: 'SERVING',
          post: 'SERVING',
          notification: 'SERVING',
        },
      });
    });
  });
});
