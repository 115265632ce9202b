// The certificates createTestCertificates makes, used the way services use
// them: libs/rpc's server and transport over real loopback sockets, in each
// TLS_CLIENT_AUTH mode. (Here rather than in libs/rpc, which this library
// depends on: a spec there could not import it without a dependency cycle.)
import { Writable } from 'node:stream';
import { Code } from '@connectrpc/connect';
import { InventoryService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  type ClientTls,
  type GrpcJsTransport,
  type RpcServer,
  type RpcServerOptions,
  type TlsSettings,
  uniformAccess,
} from '@switchboard/rpc';
import {
  createTestCertificates,
  type TestCertificate,
  type TestCertificateAuthority,
} from './create-test-certificates';
import { failure } from './rpc-failure';

const silent = createLogger({
  service: 'tls-spec',
  level: 'silent',
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

describe('gRPC over TLS with test certificates', () => {
  let pki: TestCertificateAuthority;
  let stranger: TestCertificateAuthority;
  let serverCert: TestCertificate;
  let clientCert: TestCertificate;
  let strangerCert: TestCertificate;
  let personCert: TestCertificate;
  const servers: RpcServer[] = [];
  const transports: GrpcJsTransport[] = [];

  beforeAll(async () => {
    pki = await createTestCertificates();
    stranger = await createTestCertificates();
    serverCert = await pki.issue('inventory-service');
    clientCert = await pki.issue('order-service');
    // Same name, different CA: only the signature tells them apart.
    strangerCert = await stranger.issue('order-service');
    personCert = await pki.issue('alice');
  });

  afterEach(async () => {
    for (const transport of transports.splice(0)) transport.close();
    await Promise.all(servers.splice(0).map((server) => server.shutdown()));
  });

  afterAll(async () => {
    await pki.remove();
    await stranger.remove();
  });

  /** A server with the test PKI's certificate and CA, plus `overrides`. */
  function tlsServer(overrides: Partial<RpcServerOptions>): RpcServer {
    const server = createRpcServer({
      logger: silent,
      host: '127.0.0.1',
      port: 0,
      maxReceiveBytes: 64 * 1024,
      shutdownGraceMs: 1_000,
      tlsCert: serverCert.cert,
      tlsKey: serverCert.key,
      tlsCa: pki.ca,
      ...overrides,
    });
    servers.push(server);
    return server;
  }

  /** A server whose GetProduct answers with the caller's certificate name. */
  async function startServer(clientAuth: TlsSettings['tlsClientAuth']): Promise<string> {
    const server = tlsServer({ tlsClientAuth: clientAuth });
    server.addService(
      InventoryService,
      {
        async getProduct(request, ctx) {
          return { product: { sku: request.sku, name: ctx.peerCertificateName ?? 'anonymous' } };
        },
      },
      { access: uniformAccess(InventoryService, 'public') },
    );
    return `127.0.0.1:${await server.start()}`;
  }

  function client(address: string, tls: ClientTls | undefined) {
    const transport = createGrpcJsTransport({ address, tls, defaultTimeoutMs: 5_000 });
    transports.push(transport);
    return createServiceClient(InventoryService, transport);
  }

  const withCert = (cert: TestCertificate, ca = pki.ca): ClientTls => ({
    ca,
    cert: cert.cert,
    key: cert.key,
  });

  /** The name the handler saw for this client, or the failed call's code. */
  async function seenAs(address: string, tls: ClientTls | undefined): Promise<string> {
    try {
      const { product } = await client(address, tls).getProduct({ sku: 'COF-1' });
      return product?.name ?? '';
    } catch (err) {
      return `refused: ${Code[(await failure(Promise.reject(err))).code]}`;
    }
  }

  it('serves TLS to clients that trust its CA; plaintext and distrustful clients get UNAVAILABLE', async () => {
    const address = await startServer('none');
    expect(await seenAs(address, { ca: pki.ca })).toBe('anonymous');
    // Not asked for, so not sent: no name even from a client that has a certificate.
    expect(await seenAs(address, withCert(clientCert))).toBe('anonymous');
    expect(await seenAs(address, undefined)).toBe('refused: Unavailable');
    expect(await seenAs(address, { ca: stranger.ca })).toBe('refused: Unavailable');
  });

  it('with require, lets in only clients with a certificate from its CA, and names them', async () => {
    const address = await startServer('require');
    expect(await seenAs(address, withCert(clientCert))).toBe('order-service');
    expect(await seenAs(address, { ca: pki.ca })).toBe('refused: Unavailable');
    expect(await seenAs(address, withCert(strangerCert))).toBe('refused: Unavailable');
    expect(await seenAs(address, undefined)).toBe('refused: Unavailable');
  });

  it('with request, names clients with a certificate from its CA and lets the others in unnamed', async () => {
    const address = await startServer('request');
    expect(await seenAs(address, withCert(clientCert))).toBe('order-service');
    expect(await seenAs(address, { ca: pki.ca })).toBe('anonymous');
    expect(await seenAs(address, withCert(strangerCert))).toBe('anonymous');
    expect(await seenAs(address, undefined)).toBe('refused: Unavailable');
  });

  it('takes a certificate that names a service as that service identity, for internal methods', async () => {
    const server = tlsServer({
      tlsClientAuth: 'request',
      certifiedServices: new Set(['order-service']),
      // Bearer tokens are not what this test is about: any one is refused.
      authenticate: async () => {
        throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
      },
    });
    server.addService(
      InventoryService,
      {
        async reserveStock(_request, ctx) {
          return { reservationId: `${ctx.caller?.userId}:${ctx.caller?.roles.join(',')}` };
        },
      },
      { access: uniformAccess(InventoryService, 'service') },
    );
    const address = `127.0.0.1:${await server.start()}`;
    // A reservation the contract's rules accept, so the call reaches the handler.
    const reserved = await client(address, withCert(clientCert)).reserveStock({
      reservationId: 'r-1',
      items: [{ sku: 'AB', quantity: 1 }],
      customerId: 'u-1',
    });
    expect(reserved.reservationId).toBe('order-service:service');
    // A certificate from the CA whose name is no service's, or none at all: no identity.
    for (const tls of [withCert(personCert), { ca: pki.ca }]) {
      const err = await failure(client(address, tls).reserveStock({}));
      expect(err.code).toBe(Code.Unauthenticated);
    }
  });
});
