import { topics } from './topics';

/**
 * Which service consumes which topics, and with which consumer group. The
 * services' subscriptions (apps/<service>/src/subscriptions.ts) say it by
 * event type; this is the same fact said by topic, in a place shared code can
 * read, so Kafka ACLs can be derived from it (libs/event-bus applyServiceAcls).
 * Each consuming service has a test that keeps the two in step.
 */
export interface ConsumerSpec {
  /** The consuming service, which is also its Kafka principal's name. */
  readonly service: string;
  readonly groupId: string;
  readonly topics: readonly string[];
}

export const consumers = [
  {
    service: 'post-service',
    groupId: 'post-service',
    topics: [topics.identityUsers.name],
  },
  {
    service: 'notification-service',
    groupId: 'notification-service',
    topics: [topics.socialPosts.name],
  },
  {
    service: 'reporting-service',
    groupId: 'reporting-service',
    topics: [topics.identityUsers.name, topics.catalogProducts.name, topics.salesOrders.name],
  },
  {
    // Outside systems may subscribe to any event, so it reads every topic.
    service: 'subscription-service',
    groupId: 'subscription-service',
    topics: Object.values(topics).map((t) => t.name),
  },
] as const satisfies readonly ConsumerSpec[];

export const allConsumers: readonly ConsumerSpec[] = consumers;
