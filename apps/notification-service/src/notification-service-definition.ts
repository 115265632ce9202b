import { NotificationService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadNotificationConfig } from './load-notification-config';
import { migrations } from './migrations';
import { createNotificationModule } from './notification-module';

/** The notification service as main.ts runs it and its tests start it. */
export const notificationServiceDefinition = defineStandardService({
  service: NotificationService,
  moduleName: 'notifications',
  loadConfig: loadNotificationConfig,
  migrations,
  createModule: createNotificationModule,
  // First: open Watch streams would hold the server's shutdown for its whole grace period.
  closeBeforeServer: (module) => ({ 'notification feed': module.feed }),
});
