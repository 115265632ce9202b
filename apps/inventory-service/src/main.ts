// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { InventoryService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import type { InventoryDatabase } from './inventory-schema';
import { createInventoryModule } from './inventory-module';
import { loadInventoryConfig } from './load-inventory-config';
import { migrations } from './migrations';

runService(async () => {
  const config = loadInventoryConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<InventoryDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = createRemoteAuthenticator(config);
  const inventory = createInventoryModule({ config, storage, bus, logger });
  await inventory.start();
  const server = await startRpcServer({
    ...config,
    logger,
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) =>
      s.addService(InventoryService, inventory.handlers, { access: inventory.access }),
  });
  closeOnSignal({
    logger,
    closables: { 'rpc server': server, inventory, 'auth client': auth, 'event bus': bus, storage },
  });
});
