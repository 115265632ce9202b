import { ConfigError } from '@switchboard/config';
import { loadInventoryConfig } from './load-inventory-config';

describe('loadInventoryConfig', () => {
  it('defaults to a 15 minute TTL, a 5 s sweep and a seeded catalog', () => {
    const config = loadInventoryConfig({ SWITCHBOARD_ENV: 'development' });
    expect(config).toMatchObject({
      service: 'inventory-service',
      port: 50052,
      reservationTtlMs: 900_000,
      reservationSweepIntervalMs: 5_000,
      seedDemoData: true,
    });
  });

  it('reads the inventory variables', () => {
    const config = loadInventoryConfig({
      SWITCHBOARD_ENV: 'development',
      INVENTORY_RESERVATION_TTL_MS: '60000',
      INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: '250',
      SEED_DEMO_DATA: 'FALSE',
    });
    expect(config).toMatchObject({
      reservationTtlMs: 60_000,
      reservationSweepIntervalMs: 250,
      seedDemoData: false,
    });
  });

  it('lists every bad variable at once', () => {
    let caught: unknown;
    try {
      loadInventoryConfig({
        SWITCHBOARD_ENV: 'development',
        INVENTORY_RESERVATION_TTL_MS: '15m',
        SEED_DEMO_DATA: 'yes',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'INVENTORY_RESERVATION_TTL_MS: must be a whole number (got "15m")',
      'SEED_DEMO_DATA: must be true or false (got "yes")',
    ]);
  });

  it('outside development needs its service secret and refuses the demo catalog', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadInventoryConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => p.split(':')[0]);
      }
    };
    const DATABASE_URL = 'postgres://inventory:a-db-password@db.internal:5432/postgres';
    expect(problems({ GRPC_PLAINTEXT: 'true', DATABASE_URL })).toEqual([
      'INVENTORY_SERVICE_SECRET',
    ]);
    expect(
      problems({
        INVENTORY_SERVICE_SECRET: 'ours-and-long-enough',
        GRPC_PLAINTEXT: 'true',
        DATABASE_URL,
        SEED_DEMO_DATA: 'true',
      }),
    ).toEqual(['SEED_DEMO_DATA']);
    expect(
      loadInventoryConfig({
        INVENTORY_SERVICE_SECRET: 'ours-and-long-enough',
        GRPC_PLAINTEXT: 'true',
        DATABASE_URL,
      }),
    ).toMatchObject({
      development: false,
      seedDemoData: false,
      serviceSecret: 'ours-and-long-enough',
    });
  });
});
