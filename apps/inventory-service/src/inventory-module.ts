import type { InventoryService } from '@switchboard/contracts';
import { createOutboxRelay, eventSourceOf } from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import type { Clock } from '@switchboard/timing';
import { createInventoryService, inventoryAccessPolicy } from './create-inventory-service';
import { createProductCatalog, type ProductCatalog } from './create-product-catalog';
import { createReservationLedger, type ReservationLedger } from './create-reservation-ledger';
import { createReservationSweeper } from './create-reservation-sweeper';
import type { InventoryDatabase } from './inventory-schema';
import type { InventoryConfig } from './load-inventory-config';
import { seedDemoCatalog } from './seed-demo-catalog';

export interface InventoryModuleOptions extends ServiceModuleOptions<
  InventoryConfig,
  InventoryDatabase
> {
  overrides?: InventoryModuleOverrides;
}

/** What a test replaces, so it need not wait out production's time. */
export interface InventoryModuleOverrides {
  /** The reservation TTL's clock; the database's now() otherwise. */
  clock?: Clock;
}

export interface InventoryModule extends ServiceModule<typeof InventoryService> {
  /** The parts, for tests that look behind the RPCs. */
  readonly catalog: ProductCatalog;
  readonly ledger: ReservationLedger;
}

/** The running inventory service: catalog, reservation ledger, outbox relay and expiry sweeper. */
export function createInventoryModule(options: InventoryModuleOptions): InventoryModule {
  const { config, storage, bus, logger } = options;
  const source = eventSourceOf(config.service);
  const catalog = createProductCatalog({ db: storage.db, source });
  const ledger = createReservationLedger({
    db: storage.db,
    ttlMs: config.reservationTtlMs,
    source,
    clock: options.overrides?.clock,
  });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  const sweeper = createReservationSweeper({
    ledger,
    intervalMs: config.reservationSweepIntervalMs,
    logger,
  });
  return {
    handlers: createInventoryService({ catalog, ledger }),
    access: inventoryAccessPolicy,
    catalog,
    ledger,
    async start() {
      // Before serving: `npm start` promises something to order as soon as it is SERVING.
      if (config.seedDemoData) await seedDemoCatalog(catalog, logger);
      relay.start();
      sweeper.start();
    },
    async close() {
      // Both finish the work in hand (a sweep, a batch), so storage can close after them.
      await sweeper.close();
      await relay.close();
    },
  };
}
