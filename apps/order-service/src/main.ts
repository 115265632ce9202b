import { AuthService, InventoryService, OrderService } from '@switchboard/contracts';
import { createEventBus, createKafkaProbe, createOutboxRelay } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createHealthMonitor,
  createRpcServer,
  createServiceClient,
  createTokenAuthenticator,
} from '@switchboard/rpc';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { createIdempotencyKeys } from './create-idempotency-keys';
import { createInventoryGateway } from './create-inventory-gateway';
import { createOrderPlacement } from './create-order-placement';
import { createOrderService, orderAccessPolicy } from './create-order-service';
import { createOrderSettler } from './create-order-settler';
import { createOrderStore } from './create-order-store';
import { createServiceToken } from './create-service-token';
import { createStockSettlement } from './create-stock-settlement';
import { loadOrderConfig } from './load-order-config';
import { migrations } from './migrations';
import type { OrderDatabase } from './order-schema';

runService(async () => {
  const config = loadOrderConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<OrderDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const source = `/switchboard/${config.service}`;
  const authClient = createServiceClient(
    AuthService,
    createGrpcJsTransport({ address: config.authAddr }),
  );
  const inventoryTransport = createGrpcJsTransport({ address: config.inventoryAddr });
  const inventory = createInventoryGateway({
    client: createServiceClient(InventoryService, inventoryTransport),
    timeoutMs: config.reserveTimeoutMs,
  });
  const store = createOrderStore({ db: storage.db, source });
  const keys = createIdempotencyKeys({ db: storage.db, ttlMs: config.idempotencyKeyTtlMs });
  const settlement = createStockSettlement({ store, inventory, logger });
  const placement = createOrderPlacement({
    db: storage.db,
    store,
    keys,
    inventory,
    settlement,
    logger,
  });
  const settler = createOrderSettler({
    store,
    settlement,
    keys,
    serviceToken: createServiceToken({
      authClient,
      email: config.serviceAccountEmail,
      password: config.serviceAccountPassword,
    }),
    intervalMs: config.settleIntervalMs,
    graceMs: 2 * config.reserveTimeoutMs,
    logger,
  });
  const bus = createEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.service,
    source,
    logger,
  });
  const relay = createOutboxRelay({
    storage,
    producer: bus.createProducer(),
    logger,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const authenticate = createTokenAuthenticator(authClient, {
    timeoutMs: config.verifyTokenTimeoutMs,
  });
  const server = createRpcServer({ ...config, logger, health, authenticate });
  server.addService(OrderService, createOrderService({ store, placement, settlement }), {
    access: orderAccessPolicy,
  });
  relay.start();
  settler.start();
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'order settler', close: () => settler.close() },
      { name: 'outbox relay', close: () => relay.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'inventory client', close: async () => inventoryTransport.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
