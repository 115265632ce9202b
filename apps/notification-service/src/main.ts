import { AuthService, NotificationService } from '@switchboard/contracts';
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
import { notificationAccessPolicy } from './create-notification-service';
import { loadNotificationConfig } from './load-notification-config';
import { migrations } from './migrations';
import { createNotificationModule } from './notification-module';
import type { NotificationDatabase } from './notification-schema';
import { NOTIFICATION_CONSUMER_GROUP } from './subscriptions';

runService(async () => {
  const config = loadNotificationConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<NotificationDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const notifications = createNotificationModule({
    storage,
    logger,
    fanOutBatchSize: config.fanOutBatchSize,
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
    groupId: NOTIFICATION_CONSUMER_GROUP,
    subscriptions: notifications.subscriptions,
    maxAttempts: config.eventMaxAttempts,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const authenticate = createTokenAuthenticator(
    createServiceClient(AuthService, createGrpcJsTransport({ address: config.authAddr })),
  );
  const server = createRpcServer({ ...config, logger, health, authenticate });
  server.addService(NotificationService, notifications.handlers, {
    access: notificationAccessPolicy,
  });
  await notifications.feed.start();
  await consumer.start();
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      // First: open Watch streams would otherwise hold the server's shutdown for its whole grace period.
      { name: 'notification feed', close: () => notifications.feed.close() },
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'event consumer', close: () => consumer.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
