import { allConsumers, allTopics, topics, type TopicSpec } from '@switchboard/contracts';
import { aclKey, serviceAcls, servicePrincipals } from './service-acls';

const keys = (acls = serviceAcls()) => acls.map(aclKey);

describe('serviceAcls', () => {
  it('lets only the owner write a topic', () => {
    const writers = keys().filter((k) => k.endsWith(`topic:${topics.salesOrders.name} write`));
    expect(writers).toEqual([`User:order-service topic:${topics.salesOrders.name} write`]);
  });

  it('lets only the subscribers read a topic, each in its own group', () => {
    const readers = keys().filter((k) => k.endsWith(`topic:${topics.identityUsers.name} read`));
    expect(readers).toEqual([
      `User:post-service topic:${topics.identityUsers.name} read`,
      `User:reporting-service topic:${topics.identityUsers.name} read`,
      `User:subscription-service topic:${topics.identityUsers.name} read`,
    ]);
    expect(keys()).toContain('User:reporting-service group:reporting-service read');
    expect(keys().filter((k) => k.includes(' group:'))).toHaveLength(allConsumers.length);
  });

  it('lets a consumer dead-letter only the topics it consumes', () => {
    const dlqWriters = keys().filter((k) => /\.dlq write$/.test(k));
    expect(dlqWriters).toEqual(
      allConsumers
        .flatMap((c) => c.topics.map((t) => `User:${c.service} topic:${t}.dlq write`))
        .sort(),
    );
  });

  it('never grants read on a dead-letter topic, nor create, delete or alter anything', () => {
    for (const acl of serviceAcls()) {
      expect(['read', 'write', 'describe', 'idempotent-write']).toContain(acl.operation);
      if (acl.resourceName.endsWith('.dlq')) expect(acl.operation).not.toBe('read');
    }
  });

  it('lets every service see every registry topic and its twin, for its start-up check', () => {
    for (const principal of servicePrincipals()) {
      for (const topic of allTopics) {
        expect(keys()).toContain(`${principal} topic:${topic.name} describe`);
        expect(keys()).toContain(`${principal} topic:${topic.name}.dlq describe`);
      }
    }
  });

  it('grants the idempotent producer to every service that writes anything', () => {
    const idempotent = keys()
      .filter((k) => k.endsWith('cluster:kafka-cluster idempotent-write'))
      .map((k) => k.split(' ')[0]);
    const writers = new Set(
      serviceAcls()
        .filter((a) => a.operation === 'write')
        .map((a) => a.principal),
    );
    expect(idempotent).toEqual([...writers].sort());
  });

  it('names one principal per service, and follows an owner change in the registry', () => {
    expect(servicePrincipals()).toEqual([
      'User:auth-service',
      'User:inventory-service',
      'User:notification-service',
      'User:order-service',
      'User:post-service',
      'User:reporting-service',
      'User:subscription-service',
    ]);
    const moved: TopicSpec[] = allTopics.map((t) =>
      t.name === topics.salesOrders.name ? { ...t, owner: 'billing-service' } : t,
    );
    const writers = keys(serviceAcls(moved)).filter((k) =>
      k.endsWith(`topic:${topics.salesOrders.name} write`),
    );
    expect(writers).toEqual([`User:billing-service topic:${topics.salesOrders.name} write`]);
  });

  it('refuses a consumer of a topic the registry does not have', () => {
    expect(() =>
      serviceAcls(allTopics, [{ service: 'x-service', groupId: 'x', topics: ['nope.v1'] }]),
    ).toThrow('x-service consumes nope.v1, which is not in the topic registry');
  });

  it('is sorted and has no duplicates', () => {
    const list = keys();
    expect([...new Set(list)]).toEqual(list);
    expect([...list].sort()).toEqual(list);
  });
});
