import { env, loadServiceConfig, type Env } from '@switchboard/config';

const inventorySchema = {
  /** How long a reservation holds stock before the sweeper gives it back. */
  reservationTtlMs: env.int('INVENTORY_RESERVATION_TTL_MS', {
    default: 15 * 60_000,
    min: 100,
    max: 7 * 24 * 60 * 60_000,
  }),
  /** How often the sweeper looks for expired reservations. */
  reservationSweepIntervalMs: env.int('INVENTORY_RESERVATION_SWEEP_INTERVAL_MS', {
    default: 5_000,
    min: 50,
    max: 10 * 60_000,
  }),
  // On by default in development: `npm start` promises a system with something to order.
  seedDemoData: env.developmentOnlyFlag('SEED_DEMO_DATA'),
};

export function loadInventoryConfig(source: Env = process.env) {
  return loadServiceConfig('inventory', inventorySchema, source);
}

export type InventoryConfig = ReturnType<typeof loadInventoryConfig>;
