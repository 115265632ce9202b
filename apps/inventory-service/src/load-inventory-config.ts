import { env, loadServiceConfig, type ConfigField, type Env } from '@switchboard/config';

/** `true` or `false` (any case); unset means `defaultValue`. */
function flag(name: string, defaultValue: boolean): ConfigField<boolean> {
  return {
    env: name,
    parse(raw) {
      if (raw === undefined) return defaultValue;
      const value = raw.trim().toLowerCase();
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new Error('must be true or false');
    },
  };
}

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
  // On by default: `npm start` promises a system with something to order.
  seedDemoData: flag('SEED_DEMO_DATA', true),
};

export function loadInventoryConfig(source: Env = process.env) {
  return loadServiceConfig('inventory', inventorySchema, source);
}

export type InventoryConfig = ReturnType<typeof loadInventoryConfig>;
