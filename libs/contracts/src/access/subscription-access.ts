import type { SubscriptionService } from '../gen/switchboard/subscription/v1/subscription_service_pb';
import type { AccessPolicy } from './access-policy';

/**
 * A subscription sends our events to an address outside: who may receive what
 * is the operator's decision, so every method is the admin's.
 */
export const subscriptionAccessPolicy: AccessPolicy<typeof SubscriptionService> = {
  createSubscription: 'admin',
  getSubscription: 'admin',
  listSubscriptions: 'admin',
  deleteSubscription: 'admin',
  pauseSubscription: 'admin',
  resumeSubscription: 'admin',
  listDeliveries: 'admin',
};
