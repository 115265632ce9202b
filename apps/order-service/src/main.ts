// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { OrderService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { loadOrderConfig } from './load-order-config';
import { migrations } from './migrations';
import { createOrderModule } from './order-module';
import type { OrderDatabase } from './order-schema';

runService(async () => {
  const config = loadOrderConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<OrderDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = createRemoteAuthenticator({ ...config, timeoutMs: config.verifyTokenTimeoutMs });
  const orders = createOrderModule({ config, storage, bus, logger, identity: auth.identity });
  await orders.start();
  const server = await startRpcServer({
    ...config,
    logger,
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) => s.addService(OrderService, orders.handlers, { access: orders.access }),
  });
  closeOnSignal({
    logger,
    closables: { 'rpc server': server, orders, 'auth client': auth, 'event bus': bus, storage },
  });
});
