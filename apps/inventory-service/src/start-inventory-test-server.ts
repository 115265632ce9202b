// Test support for this service's specs: the real InventoryService on a real
// socket, over a fresh database on the real PostgreSQL server. Not
// used by main.ts.
import { Writable } from 'node:stream';
import { InventoryService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { createLogger, type Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  type Authenticate,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';
import type { Clock } from '@switchboard/timing';
import { createInventoryService, inventoryAccessPolicy } from './create-inventory-service';
import { createProductCatalog, type ProductCatalog } from './create-product-catalog';
import { createReservationLedger, type ReservationLedger } from './create-reservation-ledger';
import type { InventoryDatabase } from './inventory-schema';
import { migrations } from './migrations';

export type Backend = 'postgres';

/** For `describe.each`: every storage behaviour is tested on both. */
export const backends: [Backend][] = [['postgres']];

export const EVENT_SOURCE = '/switchboard/inventory-service';

/**
 * Stands in for the auth service, which is built separately: these tokens
 * map to fixed callers, anything else is rejected as auth would reject it.
 */
const callers = {
  'admin-token': { userId: 'u-admin', roles: ['admin', 'customer'] },
  'alice-token': { userId: 'u-alice', roles: ['customer'] },
  'bob-token': { userId: 'u-bob', roles: ['customer'] },
  'order-service-token': { userId: 'order-service', roles: ['service'] },
} as const;

export const testAuthenticate: Authenticate = async (token) => {
  const caller = callers[token as keyof typeof callers];
  if (caller === undefined) {
    throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
  }
  return { userId: caller.userId, roles: [...caller.roles] };
};

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Call options per caller; `anonymous` sends no token at all. */
export const as = {
  admin: bearer('admin-token'),
  alice: bearer('alice-token'),
  bob: bearer('bob-token'),
  /** The order service's identity: the only caller the reservation methods accept. */
  service: bearer('order-service-token'),
  forged: bearer('forged-token'),
  anonymous: {},
};

export function silentLogger(): Logger {
  return createLogger({
    service: 'inventory-test',
    level: 'silent',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}

export interface InventoryTestServer {
  storage: Storage<InventoryDatabase>;
  catalog: ProductCatalog;
  ledger: ReservationLedger;
  client: ServiceClient<typeof InventoryService>;
  address: string;
  /** Stops the server, closes the database and deletes it. */
  close(): Promise<void>;
}

export interface InventoryTestServerOptions {
  ttlMs?: number;
  /** PostgreSQL pool size; the oversell race wants real parallelism. */
  poolSize?: number;
  /** The ledger's TTL clock; a test steps it past the TTL instead of sleeping. */
  clock?: Clock;
}

export async function startInventoryTestServer(
  backend: Backend,
  options: InventoryTestServerOptions = {},
): Promise<InventoryTestServer> {
  const logger = silentLogger();
  let database: TestDatabase | undefined;
  if (backend === 'postgres') database = await createTestDatabase('inventory');

  const storage = await createStorage<InventoryDatabase>({
    service: 'inventory',
    serviceDatabaseUrl: database?.url,
    migrations,
    logger,
    poolSize: options.poolSize,
  });
  const catalog = createProductCatalog({ db: storage.db, source: EVENT_SOURCE });
  const ledger = createReservationLedger({
    db: storage.db,
    ttlMs: options.ttlMs ?? 15 * 60_000,
    source: EVENT_SOURCE,
    clock: options.clock,
  });
  const server = createRpcServer({
    logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 2_000,
    authenticate: testAuthenticate,
  });
  server.addService(InventoryService, createInventoryService({ catalog, ledger }), {
    access: inventoryAccessPolicy,
  });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 30_000 });
  return {
    storage,
    catalog,
    ledger,
    client: createServiceClient(InventoryService, transport),
    address,
    async close() {
      transport.close();
      await server.shutdown();
      await storage.close();
      await database?.drop();
    },
  };
}

// Shared with every service's tests.
export { errorInfo, failure } from '@switchboard/testing';
