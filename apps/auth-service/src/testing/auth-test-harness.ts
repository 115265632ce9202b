// Test support for this service's specs: the real auth service, started from
// its definition as main.ts starts it, on a database of the real PostgreSQL
// server. Not shipped.
import { AuthService } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  type RpcServer,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, createTestLogger, startServiceUnderTest } from '@switchboard/testing';
import type { AuthDomain } from '../auth-domain';
import type { AuthModuleOverrides } from '../auth-module';
import type { AuthDatabase } from '../auth-schema';
import { authServiceDefinition } from '../auth-service-definition';
import { authServiceAccess } from '../auth-service-handlers';
import { migrations } from '../migrations';

export const quietLogger: Logger = createTestLogger('auth-test');

/** The database URL behind each storage a target opened: the service under test joins it. */
const databaseOf = new WeakMap<Storage<AuthDatabase>, string>();

/** One database that can be opened, closed and opened again, like a service restarting. */
export interface TestDatabaseTarget {
  /** The spec's own view of the rows; the service started on it gets a pool of its own. */
  open(): Promise<Storage<AuthDatabase>>;
  dispose(): Promise<void>;
}

export async function createTestTarget(): Promise<TestDatabaseTarget> {
  const database = await createTestDatabase('auth_spec');
  return {
    async open() {
      const storage = await createStorage<AuthDatabase>({
        service: 'auth',
        serviceDatabaseUrl: database.url,
        migrations,
        logger: quietLogger,
      });
      databaseOf.set(storage, database.url);
      return storage;
    },
    dispose: () => database.drop(),
  };
}

/**
 * A spec's own database and its view of it. Opened in the spec's beforeAll
 * and closed in its afterAll after the servers on it stopped, which is why
 * this is not a pair of hooks: the spec decides the order.
 */
export interface AuthTestDatabase {
  /** Creates the database and opens the spec's storage on it. */
  open(): Promise<Storage<AuthDatabase>>;
  /** Closes the spec's storage and opens a new one, as a restarted process would. */
  reopen(): Promise<Storage<AuthDatabase>>;
  /** Closes the storage last opened and drops the database; safe if open never ran. */
  close(): Promise<void>;
}

export function createAuthTestDatabase(): AuthTestDatabase {
  let target: TestDatabaseTarget | undefined;
  let storage: Storage<AuthDatabase> | undefined;
  const openOn = async (on: TestDatabaseTarget) => (storage = await on.open());
  return {
    async open() {
      target = await createTestTarget();
      return openOn(target);
    },
    async reopen() {
      if (target === undefined) throw new Error('reopen before open');
      await storage?.close();
      return openOn(target);
    },
    async close() {
      await storage?.close();
      await target?.dispose();
    },
  };
}

/** What the specs' service is configured with (through its environment) unless they say otherwise. */
export const testSettings = {
  issuer: 'switchboard-auth',
  audience: 'switchboard',
  tokenTtlSeconds: 900,
  adminEmail: 'admin@switchboard.local',
  adminPassword: 'switchboard-admin',
  keyEncryptionKey: 'key-encryption-key-of-the-auth-specs',
  serviceClients: new Map<string, string>([['order-service', 'order-secret-for-tests']]),
};

/**
 * Roomy, so specs that fail a few logins or register many users are never
 * limited; the throttle specs set their own.
 */
const roomyBudgets = {
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
} satisfies AuthModuleOverrides;

export interface AuthTestServer {
  auth: AuthDomain;
  client: ServiceClient<typeof AuthService>;
  /**
   * Call options as the order service, with a service token from
   * IssueServiceToken: VerifyToken answers services only.
   */
  asService(): Promise<{ headers: { authorization: string } }>;
  /** Every log line the service wrote, as raw JSON text. */
  logText(): string;
  /** Stops the service; the spec's storage stays open. */
  stop(): Promise<void>;
}

/**
 * The service as main.ts starts it (seeded, its relay and key rotation
 * running) on the database `storage` was opened on, on 127.0.0.1 with a free
 * port. `overrides` go over the config, as a test's budgets and clock.
 */
export async function startAuthTestServer(
  storage: Storage<AuthDatabase>,
  overrides: AuthModuleOverrides = {},
): Promise<AuthTestServer> {
  const databaseUrl = databaseOf.get(storage);
  if (databaseUrl === undefined) throw new Error('open the storage with createTestTarget');
  const t = await startServiceUnderTest(authServiceDefinition, {
    databaseUrl,
    env: {
      SEED_DEMO_DATA: 'true',
      AUTH_KEY_ENCRYPTION_KEY: testSettings.keyEncryptionKey,
      ORDER_SERVICE_SECRET: testSettings.serviceClients.get('order-service')!,
    },
    overrides: { ...roomyBudgets, ...overrides },
  });
  return {
    auth: t.running.module.domain,
    client: t.client,
    asService: () => serviceCallOptions(t.client),
    logText: () => t.logText(),
    stop: () => t.stop(),
  };
}

async function serviceCallOptions(client: ServiceClient<typeof AuthService>) {
  const [clientId, clientSecret] = [...testSettings.serviceClients][0]!;
  const { accessToken } = await client.issueServiceToken({ clientId, clientSecret });
  return { headers: { authorization: `Bearer ${accessToken}` } };
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
): Promise<Omit<AuthTestServer, 'auth' | 'logText'> & { server: RpcServer }> {
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
  return {
    client,
    asService: () => serviceCallOptions(client),
    server,
    async stop() {
      transport.close();
      await server.shutdown();
    },
  };
}
