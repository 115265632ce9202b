import type { ReportingService } from '@switchboard/contracts';
import { createInboxConsumer, type InboxConsumer, type Subscription } from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import type { ReportingConfig } from './load-reporting-config';
import type { ReportingDatabase } from './reporting-schema';
import {
  createReportingServiceHandlers,
  reportingAccessPolicy,
} from './reporting-service-handlers';
import { REPORTING_GROUP_ID, createReportingSubscriptions } from './subscriptions';

export interface ReportingModuleOptions extends ServiceModuleOptions<
  ReportingConfig,
  ReportingDatabase
> {
  overrides?: ReportingModuleOverrides;
}

/** What a test on a shared broker, where other suites publish too, sets. */
export interface ReportingModuleOverrides {
  /** A consumer group of the test's own. */
  consumerGroupId?: string;
  /** Wraps the real subscriptions, e.g. to apply only the events the test published. */
  wrapSubscriptions?(
    subscriptions: readonly Subscription<ReportingDatabase>[],
  ): Subscription<ReportingDatabase>[];
  /** Shorter than production's, so a dead-letter test does not wait through it. */
  retryBackoffMs?: { initial: number; max: number };
}

export interface ReportingModule extends ServiceModule<typeof ReportingService> {
  /** For tests that watch it work. */
  readonly consumer: InboxConsumer;
}

/** The running reporting service: the sales report over its store and the events that fill it. */
export function createReportingModule(options: ReportingModuleOptions): ReportingModule {
  const { config, storage, bus, logger } = options;
  const { overrides = {} } = options;
  const subscriptions = createReportingSubscriptions({ currency: config.currency });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: overrides.consumerGroupId ?? REPORTING_GROUP_ID,
    subscriptions: overrides.wrapSubscriptions?.(subscriptions) ?? subscriptions,
    maxAttempts: config.maxAttempts,
    retryBackoffMs: overrides.retryBackoffMs,
  });
  return {
    handlers: createReportingServiceHandlers({
      db: storage.db,
      currency: config.currency,
      topLimit: config.topLimit,
    }),
    access: reportingAccessPolicy,
    consumer,
    async start() {
      // Said once at start: orders in other currencies are stored but never counted.
      logger.info({ currency: config.currency }, 'sales report currency');
      await consumer.start();
    },
    close: () => consumer.close(),
  };
}
