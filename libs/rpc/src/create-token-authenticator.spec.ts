import { uniformAccess } from './access-policy';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { AuthService, InventoryService, Role } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { CallContext } from './call-context';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { createServiceIdentity, type ServiceIdentity } from './create-service-identity';
import { createTokenAuthenticator } from './create-token-authenticator';
import { errorDetailsOf } from './error-details/error-details-of';
import {
  standInServiceSecret,
  startAuthStandIn,
  startTestServer,
  type AuthStandIn,
  type TestServer,
} from './start-test-server';
import { failure } from './testing/failure';

/** The clock the caching tests run on; the stand-in dates its tokens by it too. */
const clock = { now: Date.now() };

describe('createTokenAuthenticator', () => {
  let auth: AuthStandIn;
  let service: TestServer;
  let toAuth: GrpcJsTransport;
  let toService: GrpcJsTransport;

  let identity: ServiceIdentity;

  beforeAll(async () => {
    auth = await startAuthStandIn(async (request, ctx) => {
      if (request.accessToken === 'slow') {
        // Hangs until the caller gives up: only the authenticator's own timeout ends it.
        if (!ctx.signal.aborted) {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        }
      }
      if (request.accessToken === 'admin') {
        return { userId: 'u-9', roles: [Role.UNSPECIFIED, Role.CUSTOMER, Role.ADMIN] };
      }
      if (request.accessToken === 'customer') return { userId: 'u-1', roles: [Role.CUSTOMER] };
      // For the cache: a token with an hour left, and one about to expire.
      const left = { 'hour-left': 3_600_000, 'another-hour': 3_600_000, 'expiring-soon': 300 }[
        request.accessToken
      ];
      if (left !== undefined) {
        return {
          userId: request.accessToken,
          roles: [Role.CUSTOMER],
          expiresAt: timestampFromMs(clock.now + left),
        };
      }
      throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
    });
    toAuth = createGrpcJsTransport({ address: auth.address });
    identity = createServiceIdentity({
      authClient: createServiceClient(AuthService, toAuth),
      clientId: 'order-service',
      clientSecret: standInServiceSecret,
    });
    const authenticate = createTokenAuthenticator(createServiceClient(AuthService, toAuth), {
      identity,
      timeoutMs: 200,
    });
    service = await startTestServer(
      (server) =>
        server.addService(
          InventoryService,
          {
            async createProduct(_request, ctx) {
              return { product: { sku: ctx.caller?.userId, name: ctx.caller?.roles.join(',') } };
            },
            async listProducts(_request, ctx) {
              return { products: [{ sku: ctx.caller?.userId, name: ctx.caller?.roles.join(',') }] };
            },
          },
          {
            access: { ...uniformAccess(InventoryService, 'authenticated'), createProduct: 'admin' },
          },
        ),
      { authenticate },
    );
    toService = createGrpcJsTransport({ address: service.address });
  });

  afterAll(async () => {
    toAuth.close();
    toService.close();
    await Promise.all([service.server.shutdown(), auth.server.shutdown()]);
  });

  const inventory = () => createServiceClient(InventoryService, toService);
  const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('resolves the caller through VerifyToken and maps roles', async () => {
    // A product the contract's rules accept, so the call reaches the handler.
    const product = { sku: 'S1', name: 'S', unitPrice: { currencyCode: 'EUR', amountMinor: 1n } };
    const admin = await inventory().createProduct(product, as('admin'));
    expect(admin.product).toMatchObject({ sku: 'u-9', name: 'customer,admin' });
    const customer = await inventory().listProducts({}, as('customer'));
    expect(customer.products[0]).toMatchObject({ sku: 'u-1', name: 'customer' });
    expect(auth.verified).toContain('admin');
    expect((await failure(inventory().createProduct({}, as('customer')))).code).toBe(
      Code.PermissionDenied,
    );
  });

  it('turns a token that auth rejects into UNAUTHENTICATED', async () => {
    const err = await failure(inventory().listProducts({}, as('forged')));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(errorDetailsOf(err).reason).toBe('INVALID_TOKEN');
  });

  it('turns a slow auth service into UNAVAILABLE within its own deadline', async () => {
    const err = await failure(inventory().listProducts({}, as('slow')));
    expect(err.code).toBe(Code.Unavailable);
  });

  it('gets a new service token once when auth says its own went stale', async () => {
    const authenticate = createTokenAuthenticator(createServiceClient(AuthService, toAuth), {
      identity,
    });
    const ctx = { signal: new AbortController().signal } as CallContext;
    await authenticate('customer', ctx);
    const issued = auth.issued;
    auth.retireServiceTokens();
    await expect(authenticate('customer', ctx)).resolves.toEqual({
      userId: 'u-1',
      roles: ['customer'],
    });
    expect(auth.issued).toBe(issued + 1);
  });

  describe('caching, on an injected clock', () => {
    const ctx = () => ({ signal: new AbortController().signal }) as CallContext;
    const calls = (token: string) => auth.verified.filter((t) => t === token).length;
    const cached = (verifyCacheMs: number, cacheSize?: number, rejectCacheMs?: number) =>
      createTokenAuthenticator(createServiceClient(AuthService, toAuth), {
        identity,
        verifyCacheMs,
        rejectCacheMs,
        cacheSize,
        now: () => clock.now,
      });

    it('asks auth once for a token it accepted, until the cache time runs out', async () => {
      const authenticate = cached(1_000);
      const before = calls('hour-left');
      for (let i = 0; i < 3; i++) {
        expect(await authenticate('hour-left', ctx())).toEqual({
          userId: 'hour-left',
          roles: ['customer'],
          expiresAt: new Date(clock.now + 3_600_000),
        });
      }
      expect(calls('hour-left') - before).toBe(1);
      clock.now += 999;
      await authenticate('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(1);
      clock.now += 1;
      await authenticate('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(2);
    });

    it('asks auth once for concurrent calls that all missed the cache', async () => {
      const authenticate = cached(1_000);
      const before = calls('another-hour');
      clock.now += 60_000; // whatever an earlier test cached has run out
      const callers = await Promise.all(
        Array.from({ length: 8 }, () => authenticate('another-hour', ctx())),
      );
      expect(new Set(callers.map((c) => c.userId))).toEqual(new Set(['another-hour']));
      expect(calls('another-hour') - before).toBe(1);
      // Each has its own copy.
      callers[0]!.roles.push('admin');
      expect(callers[1]!.roles).toEqual(['customer']);
      // Once it is answered, the next miss asks again.
      clock.now += 1_000;
      await Promise.all([authenticate('another-hour', ctx()), authenticate('another-hour', ctx())]);
      expect(calls('another-hour') - before).toBe(2);
    });

    it('never trusts a token past its own expiry', async () => {
      const authenticate = cached(60_000);
      const before = calls('expiring-soon');
      await authenticate('expiring-soon', ctx()); // 300 ms left
      clock.now += 400;
      await authenticate('expiring-soon', ctx());
      expect(calls('expiring-soon') - before).toBe(2);
    });

    it('answers a rejected token again without asking, for rejectCacheMs', async () => {
      const authenticate = cached(1_000, undefined, 5_000);
      const before = calls('garbage');
      for (let i = 0; i < 3; i++) {
        await expect(authenticate('garbage', ctx())).rejects.toMatchObject({
          code: 'INVALID_TOKEN',
        });
      }
      expect(calls('garbage') - before).toBe(1);
      clock.now += 5_000;
      await expect(authenticate('garbage', ctx())).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      expect(calls('garbage') - before).toBe(2);

      const noNegative = cached(1_000, undefined, 0);
      await noNegative('garbage', ctx()).catch(() => undefined);
      await noNegative('garbage', ctx()).catch(() => undefined);
      expect(calls('garbage') - before).toBe(4);
    });

    it('forgets the oldest token when full, and with 0 asks every time', async () => {
      const tiny = cached(60_000, 1);
      const before = calls('hour-left');
      await tiny('hour-left', ctx());
      await tiny('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(1);
      await tiny('another-hour', ctx()); // takes the one place
      await tiny('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(2);

      const off = cached(0);
      const fresh = calls('hour-left');
      await off('hour-left', ctx());
      await off('hour-left', ctx());
      expect(calls('hour-left') - fresh).toBe(2);
    });
  });

  it('turns an auth service that is down into UNAVAILABLE', async () => {
    await auth.server.shutdown();
    const err = await failure(inventory().listProducts({}, as('customer')));
    expect(err.code).toBe(Code.Unavailable);
    expect(errorDetailsOf(err)).toMatchObject({
      reason: 'DEPENDENCY_UNAVAILABLE',
      retryAfterMs: 1000,
    });
  });
});
