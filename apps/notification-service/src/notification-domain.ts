import type { NotificationService } from '@switchboard/contracts';
import type { Subscription } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import type { ServiceImpl } from '@switchboard/rpc';
import type { Storage } from '@switchboard/storage';
import { createNotificationFeed, type NotificationFeed } from './create-notification-feed';
import { createNotificationService } from './create-notification-service';
import { createNotificationStore, type NotificationStore } from './create-notification-store';
import type { NotificationDatabase } from './notification-schema';
import { createNotificationSubscriptions } from './subscriptions';

export interface NotificationDomainOptions {
  storage: Storage<NotificationDatabase>;
  logger: Logger;
  fanOutBatchSize: number;
}

export interface NotificationDomain {
  handlers: ServiceImpl<typeof NotificationService>;
  subscriptions: readonly Subscription<NotificationDatabase>[];
  store: NotificationStore;
  /** Start before serving Watch; close before the rpc server, so open streams end at once. */
  feed: NotificationFeed;
}

/**
 * Builds the notification domain over its database: the one place its parts
 * are assembled. No Kafka, so specs run replicas with or without a consumer;
 * notification-module.ts adds the consumer for the running service.
 */
export function createNotificationDomain(options: NotificationDomainOptions): NotificationDomain {
  const { storage, logger } = options;
  const store = createNotificationStore(storage.db);
  const feed = createNotificationFeed({ storage, store, logger });
  return {
    handlers: createNotificationService({ store, feed }),
    subscriptions: createNotificationSubscriptions({ fanOutBatchSize: options.fanOutBatchSize }),
    store,
    feed,
  };
}
