// Test support for this service's specs: its storage on the real
// PostgreSQL server, and the real AuthService on a real socket. Not shipped.
import { Writable } from 'node:stream';
import { AuthService } from '@switchboard/contracts';
import { createLogger, type Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  type RpcServer,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase } from '@switchboard/testing';
import type { AuthDatabase } from '../auth-schema';
import { createAuthDomain, type AuthDomain, type AuthDomainOptions } from '../auth-domain';
import { authServiceAccess } from '../auth-service-handlers';
import { migrations } from '../migrations';

export type Backend = 'postgres';
export const backends: Backend[] = ['postgres'];

export const quietLogger: Logger = createLogger({ service: 'auth-test', level: 'silent' });

/** One database that can be opened, closed and opened again, like a service restarting. */
export interface TestDatabaseTarget {
  open(): Promise<Storage<AuthDatabase>>;
  dispose(): Promise<void>;
}

export async function createTestTarget(_backend: Backend): Promise<TestDatabaseTarget> {
  const database = await createTestDatabase('auth_spec');
  return {
    open: () =>
      createStorage<AuthDatabase>({
        service: 'auth',
        serviceDatabaseUrl: database.url,
        migrations,
        logger: quietLogger,
      }),
    dispose: () => database.drop(),
  };
}

export const testSettings = {
  issuer: 'switchboard-auth',
  audience: 'switchboard',
  tokenTtlSeconds: 900,
  adminEmail: 'admin@switchboard.local',
  adminPassword: 'switchboard-admin',
  seedDemoData: true,
  development: true,
  keyEncryptionKey: 'key-encryption-key-of-the-auth-specs',
  eventSource: '/switchboard/auth-service',
  serviceClients: new Map([['order-service', 'order-secret-for-tests']]) as ReadonlyMap<
    string,
    string
  >,
  // Roomy, so specs that fail a few logins or register many users are never
  // limited; the throttle specs set their own.
  loginThrottle: {
    perAddress: { capacity: 10_000, refillEveryMs: 1 },
    perAccount: { capacity: 10_000, refillEveryMs: 1 },
    global: { capacity: 10_000, refillEveryMs: 1 },
    knownAddressMs: 3_600_000,
  },
  registerThrottle: {
    perAddress: { capacity: 10_000, refillEveryMs: 1 },
    global: { capacity: 10_000, refillEveryMs: 1 },
  },
} satisfies Omit<AuthDomainOptions, 'db' | 'logger'>;

export interface AuthTestServer {
  auth: AuthDomain;
  client: ServiceClient<typeof AuthService>;
  /**
   * Call options as the order service, with a service token from
   * IssueServiceToken: VerifyToken answers services only.
   */
  asService(): Promise<{ headers: { authorization: string } }>;
  server: RpcServer;
  /** Every log line the service wrote, as raw JSON text. */
  logText(): string;
  /** Stops the server and the client; the storage stays open. */
  stop(): Promise<void>;
}

/** The service as main.ts assembles it, seeded, on 127.0.0.1 with a free port. */
export async function startAuthTestServer(
  storage: Storage<AuthDatabase>,
  overrides: Partial<Omit<AuthDomainOptions, 'db' | 'logger'>> = {},
): Promise<AuthTestServer> {
  const raw: string[] = [];
  const logger = createLogger({
    service: 'auth-test',
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        raw.push(String(chunk));
        done();
      },
    }),
  });
  const auth = await createAuthDomain({ ...testSettings, ...overrides, db: storage.db, logger });
  await auth.seed();
  const served = await serveAuthDomain(auth, logger, '127.0.0.1');
  return { auth, ...served, logText: () => raw.join('') };
}

/**
 * The same domain (same budgets, same keys) served again on another loopback
 * address, e.g. `::1`: its calls reach the service from a second client
 * address, as a second machine's would.
 */
export async function serveAuthDomain(
  auth: AuthDomain,
  logger: Logger,
  host: string,
): Promise<Omit<AuthTestServer, 'auth' | 'logText'>> {
  const server = createRpcServer({
    logger,
    host,
    port: 0,
    maxReceiveBytes: 64 * 1024,
    shutdownGraceMs: 2_000,
    authenticate: auth.authenticate,
  });
  server.addService(AuthService, auth.handlers, { access: authServiceAccess });
  const port = await server.start();
  const transport = createGrpcJsTransport({
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    defaultTimeoutMs: 15_000,
  });
  const client = createServiceClient(AuthService, transport);
  const [clientId, clientSecret] = [...testSettings.serviceClients][0]!;
  return {
    client,
    async asService() {
      const { accessToken } = await client.issueServiceToken({ clientId, clientSecret });
      return { headers: { authorization: `Bearer ${accessToken}` } };
    },
    server,
    async stop() {
      transport.close();
      await server.shutdown();
    },
  };
}
