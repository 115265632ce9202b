// The synchronous path with mutual TLS on every hop: auth, inventory and
// order as real processes, each serving its own certificate, requiring one
// from its clients (TLS_CLIENT_AUTH=require), and dialling the others with
// its own certificate as its client certificate, all signed by a CA made for
// this test.
import { Code } from '@connectrpc/connect';
import { AuthService, InventoryService, OrderService, OrderStatus } from '@switchboard/contracts';
import {
  createGrpcJsTransport,
  createServiceClient,
  type ClientTls,
  type GrpcJsTransport,
} from '@switchboard/rpc';
import {
  createTestCertificates,
  failure,
  startServiceProcess,
  type ServiceApp,
  type ServiceProcess,
  type TestCertificateAuthority,
} from '@switchboard/testing';
import { ADMIN, bearer } from './testing/order-test-harness';

describe('the sync path over mutual TLS', () => {
  let pki: TestCertificateAuthority;
  let stranger: TestCertificateAuthority;
  let trusted: ClientTls;
  const processes: ServiceProcess[] = [];
  const transports: GrpcJsTransport[] = [];
  let auth: ServiceProcess;
  let inventory: ServiceProcess;
  let order: ServiceProcess;

  /** A service process with its own certificate, requiring one from every client. */
  async function startWithMtls(app: ServiceApp, env: Record<string, string>) {
    const cert = await pki.issue(app);
    const service = await startServiceProcess({
      app,
      env: {
        ...env,
        TLS_CERT_FILE: cert.certFile,
        TLS_KEY_FILE: cert.keyFile,
        TLS_CA_FILE: pki.caFile,
        TLS_CLIENT_AUTH: 'require',
      },
      tls: trusted,
    });
    processes.push(service);
    return service;
  }

  function clientOf<S extends typeof AuthService | typeof InventoryService | typeof OrderService>(
    service: S,
    address: string,
    tls: ClientTls | undefined,
  ) {
    const transport = createGrpcJsTransport({ address, tls, defaultTimeoutMs: 30_000 });
    transports.push(transport);
    return createServiceClient(service, transport);
  }

  beforeAll(async () => {
    pki = await createTestCertificates();
    stranger = await createTestCertificates();
    const me = await pki.issue('sync-path-test');
    trusted = { ca: pki.ca, cert: me.cert, key: me.key };
    const admin = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };
    auth = await startWithMtls('auth-service', admin);
    inventory = await startWithMtls('inventory-service', { AUTH_ADDR: auth.address });
    order = await startWithMtls('order-service', {
      ...admin,
      AUTH_ADDR: auth.address,
      INVENTORY_ADDR: inventory.address,
    });
  }, 180_000);

  afterAll(async () => {
    for (const transport of transports) transport.close();
    await Promise.all(processes.map((service) => service.stop()));
    await pki?.remove();
    await stranger?.remove();
  });

  it('registers, logs in and places an order, every hop over mTLS', async () => {
    const authClient = clientOf(AuthService, auth.address, trusted);
    const inventoryClient = clientOf(InventoryService, inventory.address, trusted);
    const orders = clientOf(OrderService, order.address, trusted);

    const adminToken = (await authClient.login(ADMIN)).accessToken;
    const sku = `MTLS-${process.pid}-${Date.now()}`;
    await inventoryClient.createProduct(
      {
        sku,
        name: 'Over TLS',
        unitPrice: { currencyCode: 'EUR', amountMinor: 1_500n },
        initialQuantity: 5,
      },
      bearer(adminToken),
    );
    const email = `mtls-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    const { userId } = await authClient.register({ email, password, displayName: 'Ada' });
    const { accessToken } = await authClient.login({ email, password });

    // Order verifies the token with auth and reserves in inventory, which
    // verifies it with auth too: three more mTLS hops behind this one call.
    const { order: placed } = await orders.placeOrder(
      { items: [{ sku, quantity: 2 }] },
      bearer(accessToken),
    );
    expect(placed).toMatchObject({ customerId: userId, status: OrderStatus.PLACED });
    expect(placed?.total).toMatchObject({ currencyCode: 'EUR', amountMinor: 3_000n });
    const { product } = await inventoryClient.getProduct({ sku }, bearer(accessToken));
    expect(product?.availableQuantity).toBe(3);
  });

  it('refuses a client without a certificate, with one from another CA, and a plaintext one', async () => {
    const outsider = await stranger.issue('sync-path-test');
    const clients = {
      'no certificate': { ca: pki.ca },
      'another CA': { ca: pki.ca, cert: outsider.cert, key: outsider.key },
      plaintext: undefined,
    };
    const seen: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [who, tls] of Object.entries(clients)) {
      for (const service of [auth, inventory, order]) {
        // Refused at the handshake, so no method is ever reached: any will do.
        const client = clientOf(OrderService, service.address, tls);
        const err = await failure(client.listOrders({}, bearer('any')));
        seen[`${who} → ${service.app}`] = Code[err.code];
        expected[`${who} → ${service.app}`] = 'Unavailable';
      }
    }
    expect(seen).toEqual(expected);
  });
});
