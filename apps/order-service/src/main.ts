import { AuthService, OrderService } from '@switchboard/contracts';
import { loadServiceConfig } from '@switchboard/config';
import { createEventBus, createKafkaProbe } from '@switchboard/event-bus';
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
import { migrations } from './migrations';

runService(async () => {
  const config = loadServiceConfig('order');
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage({ ...config, service: config.key, migrations, logger });
  const bus = createEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.service,
    source: `/switchboard/${config.service}`,
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
  server.addService(OrderService, {});
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
