import { SubscriptionService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadSubscriptionConfig } from './load-subscription-config';
import { migrations } from './migrations';
import { createSubscriptionModule } from './subscription-module';

/** The subscription service as main.ts runs it and its tests start it. */
export const subscriptionServiceDefinition = defineStandardService({
  service: SubscriptionService,
  moduleName: 'subscriptions',
  loadConfig: loadSubscriptionConfig,
  migrations,
  createModule: createSubscriptionModule,
});
