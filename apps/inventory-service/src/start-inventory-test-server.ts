// Test support for this service's specs: the real inventory service, started
// from its definition as main.ts starts it, over a fresh database on the real
// PostgreSQL server. Not used by main.ts.
import type { InventoryService } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { ServiceClient } from '@switchboard/rpc';
import type { Storage } from '@switchboard/storage';
import {
  bearer,
  createTestAuthenticator,
  createTestLogger,
  startServiceUnderTest,
} from '@switchboard/testing';
import type { Clock } from '@switchboard/timing';
import type { ProductCatalog } from './create-product-catalog';
import type { ReservationLedger } from './create-reservation-ledger';
import type { InventoryDatabase } from './inventory-schema';
import { inventoryServiceDefinition } from './inventory-service-definition';

export const EVENT_SOURCE = '/switchboard/inventory-service';

/**
 * Stands in for the auth service, which these specs do not start: they are
 * about stock and reservations, and each caller's roles decide what it may
 * do. These tokens map to fixed callers, anything else is rejected as auth
 * would reject it. The order service's specs run inventory with the real auth.
 */
const testAuthenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin', 'customer'] },
  'alice-token': { userId: 'u-alice', roles: ['customer'] },
  'bob-token': { userId: 'u-bob', roles: ['customer'] },
  'order-service-token': { userId: 'order-service', roles: ['service'] },
});

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

export const silentLogger = (): Logger => createTestLogger('inventory-test');

export interface InventoryTestServer {
  storage: Storage<InventoryDatabase>;
  catalog: ProductCatalog;
  ledger: ReservationLedger;
  client: ServiceClient<typeof InventoryService>;
  address: string;
  /** Stops the service, closes the database and deletes it. */
  close(): Promise<void>;
}

export interface InventoryTestServerOptions {
  ttlMs?: number;
  /** PostgreSQL pool size; the oversell race wants real parallelism. */
  poolSize?: number;
  /** The ledger's TTL clock; a test steps it past the TTL instead of sleeping. */
  clock?: Clock;
}

/**
 * The service as main.ts starts it, but for the token check (above). Its own
 * expiry sweeper is set so far out that only a test's sweeps run.
 */
export async function startInventoryTestServer(
  options: InventoryTestServerOptions = {},
): Promise<InventoryTestServer> {
  const t = await startServiceUnderTest(inventoryServiceDefinition, {
    env: {
      INVENTORY_RESERVATION_TTL_MS: String(options.ttlMs ?? 15 * 60_000),
      INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: String(10 * 60_000),
    },
    poolSize: options.poolSize,
    overrides: { clock: options.clock },
    authenticate: testAuthenticate,
  });
  const { module, storage } = t.running;
  return {
    storage,
    catalog: module.catalog,
    ledger: module.ledger,
    client: t.client,
    address: t.address,
    close: () => t.stop(),
  };
}

// Shared with every service's tests.
export { errorInfo, failure } from '@switchboard/testing';
