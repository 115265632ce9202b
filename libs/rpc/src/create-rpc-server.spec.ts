import { uniformAccess, type AccessPolicy } from './access-policy';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import {
  ErrorInfoSchema,
  InventoryService,
  NotificationService,
  PreconditionFailureSchema,
} from '@switchboard/contracts';
import { DomainError, createValidationError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createRpcServer } from './create-rpc-server';
import { createServiceClient, type ServiceClient } from './create-service-client';
import { errorDetailsOf } from './error-details/error-details-of';
import { startTestServer, type TestServer } from './start-test-server';
import { failure } from './testing/failure';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
// Requests the contract's rules (buf.validate) accept, so the handlers are reached.
const validProduct = {
  sku: 'S1',
  name: 'S',
  unitPrice: { currencyCode: 'EUR', amountMinor: 1n },
};
const validReservation = {
  reservationId: 'r-1',
  items: [{ sku: 'AB', quantity: 1 }],
  customerId: 'u-1',
};

describe('createRpcServer', () => {
  let t: TestServer;
  let transport: GrpcJsTransport;
  let inventory: ServiceClient<typeof InventoryService>;
  let notifications: ServiceClient<typeof NotificationService>;

  beforeAll(async () => {
    t = await startTestServer((server) => {
      server.addService(
        InventoryService,
        {
          async getProduct(request, ctx) {
            if (request.sku === 'MISSING') {
              throw new DomainError('PRODUCT_NOT_FOUND', 'product MISSING not found', {
                details: { sku: request.sku },
              });
            }
            if (request.sku === 'SHORT') {
              throw new DomainError('INSUFFICIENT_STOCK', 'not enough of SHORT', {
                details: { shortfalls: [{ sku: 'SHORT', available: 1 }] },
                preconditions: [{ type: 'STOCK', subject: 'SHORT', description: 'available 1' }],
              });
            }
            if (request.sku === 'BUSY') {
              throw new DomainError('LOGIN_RATE_LIMITED', 'try again in 3 s', {
                details: { retryAfterMs: 2500 },
              });
            }
            if (request.sku === 'BUG') throw new Error('pool exhausted, db password hunter2');
            const tenant = ctx.header('X-Tenant') ?? '';
            return {
              product: { sku: request.sku, name: `widget ${tenant}`, availableQuantity: 3 },
            };
          },
          async listProducts(_request, ctx) {
            return { products: [{ sku: ctx.caller?.userId ?? 'nobody' }] };
          },
          async createProduct(request, ctx) {
            return { product: { sku: request.sku, name: ctx.caller?.roles.join(',') } };
          },
          async checkAvailability() {
            throw createValidationError([{ field: 'items', description: 'must not be empty' }]);
          },
          async reserveStock(_request, ctx) {
            return { reservationId: ctx.caller?.userId };
          },
          // commitReservation and the others are deliberately missing.
        },
        {
          access: {
            ...uniformAccess(InventoryService, 'authenticated'),
            getProduct: 'public',
            checkAvailability: 'public',
            createProduct: 'admin',
            reserveStock: 'service',
          },
        },
      );
      server.addService(
        NotificationService,
        {
          async *watchNotifications(_request, ctx) {
            if (ctx.header('x-hold') === 'yes') {
              // Sends nothing until the client gives up, like a quiet Watch.
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
              return;
            }
            for (let i = 0; i < 3; i++) {
              if (i === 1 && ctx.header('x-fail') === 'yes') {
                throw new DomainError('USER_NOT_FOUND', 'user vanished');
              }
              yield { notification: { notificationId: `n${i}`, actorId: ctx.caller?.userId } };
            }
          },
        },
        { access: uniformAccess(NotificationService, 'authenticated') },
      );
    });
    transport = createGrpcJsTransport({ address: t.address });
    inventory = createServiceClient(InventoryService, transport);
    notifications = createServiceClient(NotificationService, transport);
  });

  afterAll(async () => {
    transport.close();
    await t.server.shutdown();
  });

  describe('adapter', () => {
    it('round-trips a unary call with typed messages and request headers', async () => {
      const res = await inventory.getProduct({ sku: 'P-1' }, { headers: { 'x-tenant': 'acme' } });
      expect(res.product).toMatchObject({ sku: 'P-1', name: 'widget acme', availableQuantity: 3 });
    });

    it('streams every message of a server-streaming method', async () => {
      const items = await collect(notifications.watchNotifications({}, bearer('customer-token')));
      expect(items.map((i) => i.notification?.notificationId)).toEqual(['n0', 'n1', 'n2']);
      expect(items[0]?.notification?.actorId).toBe('u-1');
    });

    it('ends a stream with the mapped status after the messages already sent', async () => {
      const received: string[] = [];
      const err = await failure(async () => {
        const opts = { headers: { authorization: 'Bearer customer-token', 'x-fail': 'yes' } };
        for await (const item of notifications.watchNotifications({}, opts)) {
          received.push(item.notification?.notificationId ?? '');
        }
      });
      expect(received).toEqual(['n0']);
      expect(err.code).toBe(Code.NotFound);
      expect(errorDetailsOf(err).reason).toBe('USER_NOT_FOUND');
    });

    it('sends response headers as soon as a stream is accepted, before any message', async () => {
      const raw = new grpc.Client(t.address, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer customer-token');
      metadata.set('x-hold', 'yes');
      const call = raw.makeServerStreamRequest(
        '/switchboard.notification.v1.NotificationService/WatchNotifications',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        metadata,
      );
      call.on('error', () => undefined); // the cancel below
      const messages: Buffer[] = [];
      call.on('data', (b: Buffer) => messages.push(b));
      const headers = await new Promise<grpc.Metadata | 'timeout'>((resolve) => {
        call.on('metadata', resolve);
        setTimeout(() => resolve('timeout'), 3_000);
      });
      call.cancel();
      raw.close();
      expect(headers).not.toBe('timeout');
      expect(messages).toEqual([]);
    });

    it('answers UNIMPLEMENTED for a method missing from the implementation', async () => {
      const err = await failure(inventory.commitReservation({ reservationId: 'r-1' }));
      expect(err.code).toBe(Code.Unimplemented);
      expect(errorDetailsOf(err).reason).toBe('NOT_IMPLEMENTED');
      expect(err.rawMessage).toBe(
        'switchboard.inventory.v1.InventoryService/CommitReservation is not implemented by this server',
      );
    });
  });

  describe('request bytes', () => {
    let raw: grpc.Client;
    beforeAll(() => {
      raw = new grpc.Client(t.address, grpc.credentials.createInsecure());
    });
    afterAll(() => raw.close());

    function sendRaw(bytes: Buffer): Promise<grpc.ServiceError | Buffer | undefined> {
      const path = '/switchboard.inventory.v1.InventoryService/GetProduct';
      return new Promise((resolve) => {
        raw.makeUnaryRequest(
          path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new grpc.Metadata(),
          {},
          (err, res) => resolve(err ?? res),
        );
      });
    }

    it('answers INVALID_ARGUMENT to bytes that are not the request type, then keeps serving', async () => {
      // Field 1 claims 5 bytes of string but only one follows.
      const answer = await sendRaw(Buffer.from([0x0a, 0x05, 0x61]));
      expect(answer).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'request is not a valid switchboard.inventory.v1.GetProductRequest',
      });
      const next = await inventory.getProduct({ sku: 'AFTER' });
      expect(next.product?.sku).toBe('AFTER');
    });

    it('answers RESOURCE_EXHAUSTED to a request over maxReceiveBytes', async () => {
      const err = await failure(inventory.getProduct({ sku: 'x'.repeat(70 * 1024) }));
      expect(err.code).toBe(Code.ResourceExhausted);
      expect((await inventory.getProduct({ sku: 'SMALL' })).product?.sku).toBe('SMALL');
    });
  });

  describe('errors', () => {
    it('maps a DomainError to its status, message and an ErrorInfo of its code and details', async () => {
      const err = await failure(inventory.getProduct({ sku: 'MISSING' }));
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage).toBe('product MISSING not found');
      expect(errorDetailsOf(err)).toEqual({
        reason: 'PRODUCT_NOT_FOUND',
        metadata: { sku: 'MISSING' },
        violations: [],
        preconditions: [],
      });
      // The old custom trailers are gone: the details are the one channel.
      expect([...err.metadata.keys()]).not.toContain('error-code');
    });

    it('sends validation violations as a BadRequest', async () => {
      const err = await failure(
        inventory.checkAvailability({ items: [{ sku: 'AB', quantity: 1 }] }),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe('items: must not be empty');
      expect(errorDetailsOf(err)).toMatchObject({
        reason: 'INVALID_ARGUMENT',
        violations: [{ field: 'items', description: 'must not be empty' }],
      });
    });

    it('sends unmet preconditions as a PreconditionFailure', async () => {
      const err = await failure(inventory.getProduct({ sku: 'SHORT' }));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorDetailsOf(err)).toEqual({
        reason: 'INSUFFICIENT_STOCK',
        metadata: { shortfalls: '[{"sku":"SHORT","available":1}]' },
        violations: [],
        preconditions: [{ type: 'STOCK', subject: 'SHORT', description: 'available 1' }],
      });
    });

    it("sends details that connect's own gRPC client decodes with findDetails", async () => {
      const connect = createClient(
        InventoryService,
        createGrpcTransport({ baseUrl: `http://${t.address}` }),
      );
      const err = await failure(connect.getProduct({ sku: 'SHORT' }));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.findDetails(ErrorInfoSchema)).toEqual([
        expect.objectContaining({
          reason: 'INSUFFICIENT_STOCK',
          domain: 'switchboard',
          metadata: { shortfalls: '[{"sku":"SHORT","available":1}]' },
        }),
      ]);
      expect(err.findDetails(PreconditionFailureSchema)[0]?.violations).toEqual([
        expect.objectContaining({ type: 'STOCK', subject: 'SHORT', description: 'available 1' }),
      ]);
    });

    it('sends a known wait as RetryInfo', async () => {
      const err = await failure(inventory.getProduct({ sku: 'BUSY' }));
      expect(err.code).toBe(Code.ResourceExhausted);
      expect(errorDetailsOf(err)).toMatchObject({
        reason: 'LOGIN_RATE_LIMITED',
        retryAfterMs: 2500,
      });
    });

    it('turns an unexpected error into INTERNAL without leaking it, and logs it with the request id', async () => {
      const err = await failure(
        inventory.getProduct({ sku: 'BUG' }, { headers: { 'x-request-id': 'req-bug-1' } }),
      );
      expect(err.code).toBe(Code.Internal);
      expect(err.rawMessage).toBe('internal error');
      expect(JSON.stringify([err.message, [...err.metadata]])).not.toContain('hunter2');

      const line = t.logs.lines.find((l) => l.requestId === 'req-bug-1');
      expect(line).toMatchObject({
        level: 'error',
        method: 'switchboard.inventory.v1.InventoryService/GetProduct',
        code: 'INTERNAL',
      });
      expect(JSON.stringify(line)).toContain('hunter2');
    });
  });

  describe('access', () => {
    it('lets anyone call a public method', async () => {
      expect((await inventory.getProduct({ sku: 'P1' })).product?.sku).toBe('P1');
    });

    it('rejects an invalid token even on a public method', async () => {
      const err = await failure(inventory.getProduct({ sku: 'P1' }, bearer('forged')));
      expect(err.code).toBe(Code.Unauthenticated);
    });

    it('requires a bearer token on an authenticated method', async () => {
      const missing = await failure(inventory.listProducts({}));
      expect(missing.code).toBe(Code.Unauthenticated);
      const malformed = await failure(
        inventory.listProducts({}, { headers: { authorization: 'Basic dTpw' } }),
      );
      expect(malformed.code).toBe(Code.Unauthenticated);
      const rejected = await failure(inventory.listProducts({}, bearer('expired')));
      expect(rejected.code).toBe(Code.Unauthenticated);
      expect(errorDetailsOf(rejected).reason).toBe('INVALID_TOKEN');

      const ok = await inventory.listProducts({}, bearer('customer-token'));
      expect(ok.products[0]?.sku).toBe('u-1');
    });

    it('requires the admin role on an admin method', async () => {
      const denied = await failure(inventory.createProduct({ sku: 's' }, bearer('customer-token')));
      expect(denied.code).toBe(Code.PermissionDenied);
      const unauthenticated = await failure(inventory.createProduct({ sku: 's' }));
      expect(unauthenticated.code).toBe(Code.Unauthenticated);
      const ok = await inventory.createProduct(validProduct, bearer('admin-token'));
      expect(ok.product?.name).toBe('admin,customer');
    });

    it('lets only a service identity call a service method, admins included', async () => {
      const asService = await inventory.reserveStock(validReservation, bearer('service-token'));
      expect(asService.reservationId).toBe('order-service');
      for (const token of ['customer-token', 'admin-token']) {
        const err = await failure(inventory.reserveStock({}, bearer(token)));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.rawMessage).toBe(
          'switchboard.inventory.v1.InventoryService/ReserveStock is internal: only services may call it',
        );
      }
      const stale = await failure(inventory.reserveStock({}, bearer('forged')));
      expect(stale.code).toBe(Code.Unauthenticated);
      expect(errorDetailsOf(stale).reason).toBe('SERVICE_TOKEN_INVALID');
    });

    /** A server with no authenticator, never started: for what addService refuses. */
    const unstartedServer = () =>
      createRpcServer({
        logger: createLogger({ service: 't', level: 'silent' }),
        host: '127.0.0.1',
        port: 0,
        maxReceiveBytes: 1024,
        shutdownGraceMs: 10,
      });

    it('refuses to register a service whose policy leaves a method undeclared', () => {
      const server = unstartedServer();
      const { returnReservation: _left, ...partial } = uniformAccess(InventoryService, 'public');
      expect(() =>
        server.addService(
          InventoryService,
          {},
          { access: partial as unknown as AccessPolicy<typeof InventoryService> },
        ),
      ).toThrow(
        'switchboard.inventory.v1.InventoryService: method returnReservation has no access declared',
      );
    });

    it('applies to streaming methods too', async () => {
      const err = await failure(() => collect(notifications.watchNotifications({})));
      expect(err.code).toBe(Code.Unauthenticated);
    });

    it('refuses to register a protected method when there is no authenticator', () => {
      const server = unstartedServer();
      expect(() =>
        server.addService(
          InventoryService,
          {},
          { access: uniformAccess(InventoryService, 'service') },
        ),
      ).toThrow(/no authenticate function/);
      expect(() =>
        server.addService(
          InventoryService,
          {},
          { access: uniformAccess(InventoryService, 'public') },
        ),
      ).not.toThrow();
    });
  });

  describe('logging', () => {
    it('writes one line per call with method, code and duration, and never the token', async () => {
      const id = 'req-log-1';
      await inventory.listProducts(
        {},
        { headers: { authorization: 'Bearer customer-token', 'x-request-id': id } },
      );
      const lines = t.logs.lines.filter((l) => l.requestId === id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'debug',
        method: 'switchboard.inventory.v1.InventoryService/ListProducts',
        code: 'OK',
      });
      expect(typeof lines[0]?.durationMs).toBe('number');

      await failure(inventory.createProduct({ sku: 's' }, bearer('customer-token')));
      expect(t.logs.lines.some((l) => l.code === 'PERMISSION_DENIED' && l.level === 'info')).toBe(
        true,
      );
      expect(t.logs.text()).not.toContain('customer-token');
      expect(t.logs.text()).not.toContain('admin-token');
    });
  });
});

describe('RpcServer.shutdown', () => {
  // Runs even when an assertion failed, so a failing test cannot leave a server behind.
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('lets an in-flight call finish and refuses new ones', async () => {
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    // The call stays in flight until the test has seen a new one refused.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const t = await startTestServer((server) =>
      server.addService(
        InventoryService,
        {
          async getProduct(request) {
            entered();
            await released;
            return { product: { sku: request.sku } };
          },
        },
        { access: uniformAccess(InventoryService, 'public') },
      ),
    );
    const before = createGrpcJsTransport({ address: t.address });
    const after = createGrpcJsTransport({ address: t.address });
    cleanups.push(
      () => before.close(),
      () => after.close(),
      () => t.server.shutdown(),
    );
    const slow = createServiceClient(InventoryService, before).getProduct({ sku: 'SLOW' });
    await inFlight;

    const stopping = t.server.shutdown();
    expect(t.server.shutdown()).toBe(stopping);
    const refused = await failure(
      createServiceClient(InventoryService, after).getProduct({ sku: 'NEW' }),
    );
    expect(refused.code).toBe(Code.Unavailable);

    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false); // shutdown waits for the call in flight
    release();
    expect((await slow).product?.sku).toBe('SLOW');
    await stopping;
  });

  it('cancels calls still running when the grace period ends', async () => {
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let sawAbort!: () => void;
    const handlerSawAbort = new Promise<void>((resolve) => (sawAbort = resolve));
    const t = await startTestServer(
      (server) =>
        server.addService(
          InventoryService,
          {
            // Never ends on its own: only the end of the grace period can stop it.
            async getProduct(_request, ctx) {
              entered();
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
              sawAbort();
              return {};
            },
          },
          { access: uniformAccess(InventoryService, 'public') },
        ),
      { shutdownGraceMs: 150 },
    );
    const transport = createGrpcJsTransport({ address: t.address });
    cleanups.push(
      () => transport.close(),
      () => t.server.shutdown(),
    );
    const stuck = createServiceClient(InventoryService, transport).getProduct({ sku: 'STUCK' });
    await inFlight;
    // Resolving at all shows the grace period ended the call: the handler never returns by itself.
    await t.server.shutdown();
    const err = await failure(stuck);
    expect([Code.Canceled, Code.Unavailable, Code.Internal]).toContain(err.code);
    await handlerSawAbort;
  });
});

describe('server streams and their token', () => {
  let t: TestServer;
  let transport: GrpcJsTransport;
  const revoked = new Set<string>();
  let authDown = false;

  beforeAll(async () => {
    t = await startTestServer(
      (server) =>
        server.addService(
          NotificationService,
          {
            async *watchNotifications(_request, ctx) {
              yield { notification: { notificationId: 'first', actorId: ctx.caller?.userId } };
              // Quiet until the stream ends, like a watch with nothing new.
              await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
            },
          },
          { access: uniformAccess(NotificationService, 'authenticated') },
        ),
      {
        streamRecheckMs: 50,
        authenticate: async (token) => {
          if (authDown && token !== 'expiring') {
            throw new DomainError('DEPENDENCY_UNAVAILABLE', 'cannot verify the access token now');
          }
          if (revoked.has(token) || (!token.startsWith('ok-') && token !== 'expiring')) {
            throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
          }
          const expiresAt = new Date(Date.now() + (token === 'expiring' ? 300 : 3_600_000));
          return { userId: token, roles: ['customer'], expiresAt };
        },
      },
    );
    transport = createGrpcJsTransport({ address: t.address });
  });

  afterAll(async () => {
    transport.close();
    await t.server.shutdown();
  });

  /** The messages a watch received and the status it ended with. */
  async function watch(token: string, onFirst: () => void = () => {}) {
    const client = createServiceClient(NotificationService, transport);
    const ids: string[] = [];
    try {
      for await (const res of client.watchNotifications(
        {},
        { ...bearer(token), timeoutMs: 10_000 },
      )) {
        ids.push(res.notification?.notificationId ?? '');
        onFirst();
      }
    } catch (err) {
      return { ids, err: err as ConnectError };
    }
    return { ids, err: undefined };
  }

  it('ends with UNAUTHENTICATED when the token expires', async () => {
    const { ids, err } = await watch('expiring');
    expect(ids).toEqual(['first']);
    expect(err?.code).toBe(Code.Unauthenticated);
    expect(err?.rawMessage).toBe('the access token expired during the stream');
  });

  it('ends with UNAUTHENTICATED once the token is revoked', async () => {
    const { ids, err } = await watch('ok-revoke-me', () => revoked.add('ok-revoke-me'));
    expect(ids).toEqual(['first']);
    expect(err?.code).toBe(Code.Unauthenticated);
    expect(err?.rawMessage).toBe('the access token was revoked or expired');
  });

  it('keeps streaming while auth cannot answer, and ends only on the deadline', async () => {
    authDown = false;
    const client = createServiceClient(NotificationService, transport);
    const ids: string[] = [];
    let error: ConnectError | undefined;
    try {
      for await (const res of client.watchNotifications(
        {},
        { ...bearer('ok-steady'), timeoutMs: 1_000 },
      )) {
        ids.push(res.notification?.notificationId ?? '');
        authDown = true; // every recheck from now on fails as "unavailable"
      }
    } catch (err) {
      error = err as ConnectError;
    } finally {
      authDown = false;
    }
    expect(ids).toEqual(['first']);
    expect(error?.code).toBe(Code.DeadlineExceeded);
  });
});
