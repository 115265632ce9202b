import { allConsumers } from '@switchboard/contracts';
import { createEventRegistry } from '@switchboard/event-bus';
import { NOTIFICATION_CONSUMER_GROUP, createNotificationSubscriptions } from './subscriptions';

// The Kafka ACLs (libs/event-bus serviceAcls) are derived from the consumer map
// in libs/contracts; if the subscriptions here change without it, this fails
// instead of the service being refused by the broker in production.
describe('notification-service subscriptions and the consumer map', () => {
  it('consume exactly the topics, in the group, that the ACLs are made from', () => {
    const registry = createEventRegistry();
    const subscribed = createNotificationSubscriptions({ fanOutBatchSize: 100 }).map(
      (s) => registry.byType(s.schema.typeName)!.topic.name,
    );
    const listed = allConsumers.find((c) => c.service === 'notification-service');
    expect(listed?.groupId).toBe(NOTIFICATION_CONSUMER_GROUP);
    expect([...listed!.topics].sort()).toEqual([...new Set(subscribed)].sort());
  });
});
