import { setTimeout as sleep } from 'node:timers/promises';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { AuthService, InventoryService, Role } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { CallContext } from './call-context';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { createTokenAuthenticator } from './create-token-authenticator';
import { startTestServer, type TestServer } from './start-test-server';

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error('expected the call to fail');
}

describe('createTokenAuthenticator', () => {
  let auth: TestServer;
  let service: TestServer;
  let toAuth: GrpcJsTransport;
  let toService: GrpcJsTransport;
  const verified: string[] = [];

  beforeAll(async () => {
    // A stand-in for the auth service, reached over a real socket.
    auth = await startTestServer(
      (server) =>
        server.addService(
          AuthService,
          {
            async verifyToken(request, ctx) {
              verified.push(request.accessToken);
              if (request.accessToken === 'slow') {
                await sleep(2000, undefined, { signal: ctx.signal }).catch(() => undefined);
              }
              if (request.accessToken === 'admin') {
                return { userId: 'u-9', roles: [Role.UNSPECIFIED, Role.CUSTOMER, Role.ADMIN] };
              }
              if (request.accessToken === 'customer')
                return { userId: 'u-1', roles: [Role.CUSTOMER] };
              // For the cache: a token with an hour left, and one about to expire.
              const left = { 'hour-left': 3_600_000, 'expiring-soon': 300 }[request.accessToken];
              if (left !== undefined) {
                return {
                  userId: request.accessToken,
                  roles: [Role.CUSTOMER],
                  expiresAt: timestampFromMs(Date.now() + left),
                };
              }
              throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
            },
          },
          { access: { default: 'public' } },
        ),
      { authenticate: undefined },
    );
    toAuth = createGrpcJsTransport({ address: auth.address });
    const authenticate = createTokenAuthenticator(createServiceClient(AuthService, toAuth), {
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
          { access: { default: 'authenticated', methods: { createProduct: 'admin' } } },
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
    const admin = await inventory().createProduct({}, as('admin'));
    expect(admin.product).toMatchObject({ sku: 'u-9', name: 'customer,admin' });
    const customer = await inventory().listProducts({}, as('customer'));
    expect(customer.products[0]).toMatchObject({ sku: 'u-1', name: 'customer' });
    expect(verified).toContain('admin');
    expect((await failure(inventory().createProduct({}, as('customer')))).code).toBe(
      Code.PermissionDenied,
    );
  });

  it('turns a token that auth rejects into UNAUTHENTICATED', async () => {
    const err = await failure(inventory().listProducts({}, as('forged')));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.metadata.get('error-code')).toBe('INVALID_TOKEN');
  });

  it('turns a slow auth service into UNAVAILABLE within its own deadline', async () => {
    const started = Date.now();
    const err = await failure(inventory().listProducts({}, as('slow')));
    expect(err.code).toBe(Code.Unavailable);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  describe('with verifyCacheMs', () => {
    const ctx = () => ({ signal: new AbortController().signal }) as CallContext;
    const calls = (token: string) => verified.filter((t) => t === token).length;
    const cached = (verifyCacheMs: number, verifyCacheSize?: number) =>
      createTokenAuthenticator(createServiceClient(AuthService, toAuth), {
        verifyCacheMs,
        verifyCacheSize,
      });

    it('asks auth once for a token it accepted, and every time for one it rejected', async () => {
      const authenticate = cached(60_000);
      const before = calls('hour-left');
      for (let i = 0; i < 3; i++) {
        expect(await authenticate('hour-left', ctx())).toEqual({
          userId: 'hour-left',
          roles: ['customer'],
        });
      }
      expect(calls('hour-left') - before).toBe(1);

      const rejected = calls('forged');
      for (let i = 0; i < 2; i++) {
        await expect(authenticate('forged', ctx())).rejects.toMatchObject({
          code: 'INVALID_TOKEN',
        });
      }
      expect(calls('forged') - rejected).toBe(2);
    });

    it('asks again once the cache time or the token itself ran out', async () => {
      const shortCache = cached(200);
      const before = calls('hour-left');
      await shortCache('hour-left', ctx());
      await sleep(300);
      await shortCache('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(2);

      const longCache = cached(60_000);
      const expiring = calls('expiring-soon');
      await longCache('expiring-soon', ctx());
      await sleep(400);
      await longCache('expiring-soon', ctx());
      expect(calls('expiring-soon') - expiring).toBe(2);
    });

    it('forgets the oldest token when full, and with 0 asks every time', async () => {
      const tiny = cached(60_000, 1);
      const before = calls('hour-left');
      await tiny('hour-left', ctx());
      await tiny('admin-less', ctx()).catch(() => undefined); // rejected: not cached
      await tiny('hour-left', ctx());
      expect(calls('hour-left') - before).toBe(1);
      await tiny('expiring-soon', ctx()); // takes the one place
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
    expect(err.metadata.get('error-code')).toBe('DEPENDENCY_UNAVAILABLE');
  });
});
