import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { AuthService, InventoryService, Role } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
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

  it('turns an auth service that is down into UNAVAILABLE', async () => {
    await auth.server.shutdown();
    const err = await failure(inventory().listProducts({}, as('customer')));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.metadata.get('error-code')).toBe('DEPENDENCY_UNAVAILABLE');
  });
});
