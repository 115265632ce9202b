import { AuthService, ReportingService } from '@switchboard/contracts';
import { createEventBus, createInboxConsumer, createKafkaProbe } from '@switchboard/event-bus';
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
import { loadReportingConfig } from './load-reporting-config';
import { migrations } from './migrations';
import type { ReportingDatabase } from './reporting-schema';
import {
  createReportingServiceHandlers,
  reportingAccessPolicy,
} from './reporting-service-handlers';
import { REPORTING_GROUP_ID, createReportingSubscriptions } from './subscriptions';

runService(async () => {
  const config = loadReportingConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<ReportingDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.service,
    source: `/switchboard/${config.service}`,
    logger,
  });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: REPORTING_GROUP_ID,
    subscriptions: createReportingSubscriptions({ currency: config.currency }),
    maxAttempts: config.maxAttempts,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const authenticate = createTokenAuthenticator(
    createServiceClient(AuthService, createGrpcJsTransport({ address: config.authAddr })),
  );
  const server = createRpcServer({ ...config, logger, health, authenticate });
  server.addService(
    ReportingService,
    createReportingServiceHandlers({
      db: storage.db,
      currency: config.currency,
      topLimit: config.topLimit,
    }),
    { access: reportingAccessPolicy },
  );
  await consumer.start();
  await server.start();
  logger.info({ port: config.port, currency: config.currency }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'inbox consumer', close: () => consumer.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
