import { AuthService, InventoryService } from '@switchboard/contracts';
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
import { createInventoryService, inventoryAccessPolicy } from './create-inventory-service';
import { createProductCatalog } from './create-product-catalog';
import { createReservationLedger } from './create-reservation-ledger';
import { createReservationSweeper } from './create-reservation-sweeper';
import type { InventoryDatabase } from './inventory-schema';
import { loadInventoryConfig } from './load-inventory-config';
import { migrations } from './migrations';
import { seedDemoCatalog } from './seed-demo-catalog';

runService(async () => {
  const config = loadInventoryConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<InventoryDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const source = `/switchboard/${config.service}`;
  const catalog = createProductCatalog({ db: storage.db, source });
  const ledger = createReservationLedger({
    db: storage.db,
    ttlMs: config.reservationTtlMs,
    source,
  });
  if (config.seedDemoData) await seedDemoCatalog(catalog, logger);
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
  const sweeper = createReservationSweeper({
    ledger,
    intervalMs: config.reservationSweepIntervalMs,
    logger,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const authenticate = createTokenAuthenticator(
    createServiceClient(AuthService, createGrpcJsTransport({ address: config.authAddr })),
  );
  const server = createRpcServer({ ...config, logger, health, authenticate });
  server.addService(InventoryService, createInventoryService({ catalog, ledger }), {
    access: inventoryAccessPolicy,
  });
  relay.start();
  sweeper.start();
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'reservation sweeper', close: () => sweeper.close() },
      { name: 'outbox relay', close: () => relay.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
