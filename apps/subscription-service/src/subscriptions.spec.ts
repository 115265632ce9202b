import { allConsumers, allTopics } from '@switchboard/contracts';
import { createEventRegistry } from '@switchboard/event-bus';
import { SUBSCRIPTION_GROUP_ID, createSubscriptionSubscriptions } from './subscriptions';

// The Kafka ACLs come from the consumer map in libs/contracts; if the
// subscriptions here drift from it, this fails instead of the broker refusing
// the service in production.
describe('subscription-service subscriptions and the consumer map', () => {
  it('consume every event of every topic, in the group the ACLs are made from', () => {
    const registry = createEventRegistry();
    const subscribed = createSubscriptionSubscriptions().map((s) => s.schema.typeName);
    const everyType = allTopics.flatMap((t) => t.events.map((e) => e.schema.typeName));
    expect([...subscribed].sort()).toEqual([...everyType].sort());

    const listed = allConsumers.find((c) => c.service === 'subscription-service');
    expect(listed?.groupId).toBe(SUBSCRIPTION_GROUP_ID);
    const topics = subscribed.map((type) => registry.byType(type)!.topic.name);
    expect([...listed!.topics].sort()).toEqual([...new Set(topics)].sort());
  });
});
