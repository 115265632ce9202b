import type { ReportingService } from '@switchboard/contracts';
import { createInboxConsumer } from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import type { ReportingConfig } from './load-reporting-config';
import type { ReportingDatabase } from './reporting-schema';
import {
  createReportingServiceHandlers,
  reportingAccessPolicy,
} from './reporting-service-handlers';
import { REPORTING_GROUP_ID, createReportingSubscriptions } from './subscriptions';

export type ReportingModuleOptions = ServiceModuleOptions<ReportingConfig, ReportingDatabase>;

export type ReportingModule = ServiceModule<typeof ReportingService>;

/** The running reporting service: the sales report over its store and the events that fill it. */
export function createReportingModule(options: ReportingModuleOptions): ReportingModule {
  const { config, storage, bus, logger } = options;
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: REPORTING_GROUP_ID,
    subscriptions: createReportingSubscriptions({ currency: config.currency }),
    maxAttempts: config.maxAttempts,
  });
  return {
    handlers: createReportingServiceHandlers({
      db: storage.db,
      currency: config.currency,
      topLimit: config.topLimit,
    }),
    access: reportingAccessPolicy,
    async start() {
      // Said once at start: orders in other currencies are stored but never counted.
      logger.info({ currency: config.currency }, 'sales report currency');
      await consumer.start();
    },
    close: () => consumer.close(),
  };
}
