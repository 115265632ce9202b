import { InventoryService, type OrderService } from '@switchboard/contracts';
import { createOutboxRelay, eventSourceOf, type OutboxRelay } from '@switchboard/event-bus';
import {
  clientTlsOf,
  createGrpcJsTransport,
  createServiceClient,
  type ServiceIdentity,
} from '@switchboard/rpc';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { createIdempotencyKeys, type IdempotencyKeys } from './create-idempotency-keys';
import { createInventoryGateway } from './create-inventory-gateway';
import { createOrderPlacement } from './create-order-placement';
import { createOrderService, orderAccessPolicy } from './create-order-service';
import { createOrderSettler, type OrderSettler } from './create-order-settler';
import { createOrderStore, type OrderStore } from './create-order-store';
import { createStockSettlement } from './create-stock-settlement';
import type { OrderConfig } from './load-order-config';
import type { OrderDatabase } from './order-schema';

export interface OrderModuleOptions extends ServiceModuleOptions<OrderConfig, OrderDatabase> {
  /** The order service's own identity: inventory's reservation methods are for services only. */
  identity: ServiceIdentity;
  overrides?: OrderModuleOverrides;
}

/** Budgets a test shortens, so it need not wait out production's. */
export interface OrderModuleOverrides {
  /** How long the settler leaves a pending order alone; 2 × reserveTimeoutMs otherwise. */
  settleGraceMs?: number;
  /** When a claimed idempotency key counts as abandoned; the keys' default otherwise. */
  staleKeyAfterMs?: number;
}

export interface OrderModule extends ServiceModule<typeof OrderService> {
  /** The parts, for tests that inject failures into them or run a settle round by hand. */
  readonly store: OrderStore;
  readonly keys: IdempotencyKeys;
  readonly settler: OrderSettler;
  readonly relay: OutboxRelay;
}

/**
 * The running order service: placement and settlement over the order store,
 * the inventory client, the outbox relay and the settler that finishes what
 * requests could not.
 */
export function createOrderModule(options: OrderModuleOptions): OrderModule {
  const { config, storage, bus, logger } = options;
  const inventoryTransport = createGrpcJsTransport({
    address: config.inventoryAddr,
    tls: clientTlsOf(config),
  });
  const inventory = createInventoryGateway({
    client: createServiceClient(InventoryService, inventoryTransport),
    identity: options.identity,
    timeoutMs: config.reserveTimeoutMs,
  });
  const store = createOrderStore({ db: storage.db, source: eventSourceOf(config.service) });
  const keys = createIdempotencyKeys({
    db: storage.db,
    ttlMs: config.idempotencyKeyTtlMs,
    staleAfterMs: options.overrides?.staleKeyAfterMs,
  });
  const settlement = createStockSettlement({ store, inventory, logger });
  const placement = createOrderPlacement({
    db: storage.db,
    store,
    keys,
    inventory,
    logger,
  });
  const settler = createOrderSettler({
    store,
    placement,
    settlement,
    keys,
    intervalMs: config.settleIntervalMs,
    graceMs: options.overrides?.settleGraceMs ?? 2 * config.reserveTimeoutMs,
    logger,
  });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  return {
    handlers: createOrderService({ store, placement, settlement }),
    access: orderAccessPolicy,
    store,
    keys,
    settler,
    relay,
    async start() {
      relay.start();
      settler.start();
    },
    async close() {
      // The settler first: a round in hand still calls inventory and writes order events.
      await settler.close();
      await relay.close();
      inventoryTransport.close();
    },
  };
}
