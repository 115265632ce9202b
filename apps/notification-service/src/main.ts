// First: telemetry hooks the pg driver before any other import loads it.
import { startTelemetry } from '@switchboard/telemetry';
import { NotificationService } from '@switchboard/contracts';
import { createKafkaProbe, createServiceEventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createRemoteAuthenticator, startRpcServer } from '@switchboard/rpc';
import { cacheProbes, closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { loadNotificationConfig } from './load-notification-config';
import { migrations } from './migrations';
import { createNotificationModule } from './notification-module';
import type { NotificationDatabase } from './notification-schema';

runService(async () => {
  const config = loadNotificationConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  await startTelemetry({ ...config, logger });
  const storage = await createStorage<NotificationDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const bus = createServiceEventBus(config, logger);
  const auth = createRemoteAuthenticator(config);
  const notifications = createNotificationModule({ config, storage, bus, logger });
  await notifications.start();
  const server = await startRpcServer({
    ...config,
    logger,
    authenticate: auth.authenticate,
    probes: cacheProbes({ database: () => storage.ping(), kafka: createKafkaProbe(bus) }),
    register: (s) =>
      s.addService(NotificationService, notifications.handlers, { access: notifications.access }),
  });
  closeOnSignal({
    logger,
    closables: {
      // First: open Watch streams would hold the server's shutdown for its whole grace period.
      'notification feed': notifications.feed,
      'rpc server': server,
      notifications,
      'auth client': auth,
      'event bus': bus,
      storage,
    },
  });
});
