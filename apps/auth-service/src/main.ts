import { AuthService } from '@switchboard/contracts';
import { createEventBus, createKafkaProbe, createOutboxRelay } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createHealthMonitor, createRpcServer } from '@switchboard/rpc';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { createAuthModule } from './auth-module';
import { authServiceAccess } from './auth-service-handlers';
import { createKeyRotationSchedule } from './key-rotation-schedule';
import { loadAuthConfig } from './load-auth-config';
import { migrations } from './migrations';

runService(async () => {
  const config = loadAuthConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<AuthDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const source = `/switchboard/${config.service}`;
  const auth = await createAuthModule({ ...config, db: storage.db, logger, eventSource: source });
  await auth.seed();
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
  const rotation = createKeyRotationSchedule({
    keys: auth.keys,
    rotationHours: config.keyRotationHours,
    logger,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const server = createRpcServer({ ...config, logger, health, authenticate: auth.authenticate });
  server.addService(AuthService, auth.handlers, { access: authServiceAccess });
  relay.start();
  rotation.start();
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'key rotation', close: () => rotation.stop() },
      { name: 'outbox relay', close: () => relay.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
