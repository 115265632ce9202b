import type { NotificationService } from '@switchboard/contracts';
import { createInboxConsumer, type InboxConsumer } from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { notificationAccessPolicy } from './create-notification-service';
import type { NotificationFeed } from './create-notification-feed';
import type { NotificationConfig } from './load-notification-config';
import { createNotificationDomain, type NotificationDomain } from './notification-domain';
import type { NotificationDatabase } from './notification-schema';
import { NOTIFICATION_CONSUMER_GROUP } from './subscriptions';

export interface NotificationModuleOptions extends ServiceModuleOptions<
  NotificationConfig,
  NotificationDatabase
> {
  overrides?: NotificationModuleOverrides;
}

/** What a test on a shared broker sets. */
export interface NotificationModuleOverrides {
  /** A consumer group of the test's own (replicas of one test share it). */
  consumerGroupId?: string;
}

export interface NotificationModule extends ServiceModule<typeof NotificationService> {
  /**
   * Close it before the rpc server: open Watch streams would otherwise hold
   * the server's shutdown for its whole grace period.
   */
  readonly feed: NotificationFeed;
  /** The parts, for tests that look behind the RPCs. */
  readonly domain: NotificationDomain;
  readonly consumer: InboxConsumer;
}

/** The running notification service: its domain, the live feed and the social-events consumer. */
export function createNotificationModule(options: NotificationModuleOptions): NotificationModule {
  const { config, storage, bus, logger } = options;
  const notifications = createNotificationDomain({
    storage,
    logger,
    fanOutBatchSize: config.fanOutBatchSize,
  });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: options.overrides?.consumerGroupId ?? NOTIFICATION_CONSUMER_GROUP,
    subscriptions: notifications.subscriptions,
    maxAttempts: config.eventMaxAttempts,
  });
  return {
    handlers: notifications.handlers,
    access: notificationAccessPolicy,
    feed: notifications.feed,
    domain: notifications,
    consumer,
    async start() {
      // Before serving, so a Watch hears of every commit from its first moment.
      await notifications.feed.start();
      await consumer.start();
    },
    async close() {
      await consumer.close();
      // Normally closed already, before the server; closing twice is a no-op.
      await notifications.feed.close();
    },
  };
}
