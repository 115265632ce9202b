import { InventoryService, type OrderService } from '@switchboard/contracts';
import { createOutboxRelay, eventSourceOf } from '@switchboard/event-bus';
import {
  clientTlsOf,
  createGrpcJsTransport,
  createServiceClient,
  type ServiceIdentity,
} from '@switchboard/rpc';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { createIdempotencyKeys } from './create-idempotency-keys';
import { createInventoryGateway } from './create-inventory-gateway';
import { createOrderPlacement } from './create-order-placement';
import { createOrderService, orderAccessPolicy } from './create-order-service';
import { createOrderSettler } from './create-order-settler';
import { createOrderStore } from './create-order-store';
import { createStockSettlement } from './create-stock-settlement';
import type { OrderConfig } from './load-order-config';
import type { OrderDatabase } from './order-schema';

export interface OrderModuleOptions extends ServiceModuleOptions<OrderConfig, OrderDatabase> {
  /** The order service's own identity: inventory's reservation methods are for services only. */
  identity: ServiceIdentity;
}

export type OrderModule = ServiceModule<typeof OrderService>;

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
  const keys = createIdempotencyKeys({ db: storage.db, ttlMs: config.idempotencyKeyTtlMs });
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
    graceMs: 2 * config.reserveTimeoutMs,
    logger,
  });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  return {
    handlers: createOrderService({ store, placement, settlement }),
    access: orderAccessPolicy,
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
