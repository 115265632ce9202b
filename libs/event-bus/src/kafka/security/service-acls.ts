import {
  allConsumers,
  allTopics,
  deadLetterTopicOf,
  type ConsumerSpec,
  type TopicSpec,
} from '@switchboard/contracts';

/** One ALLOW rule for one principal on one literally named resource, from any host. */
export interface ServiceAcl {
  /** `User:<service-name>`, the name the service logs in with over SASL. */
  readonly principal: string;
  readonly resourceType: 'topic' | 'group' | 'cluster';
  readonly resourceName: string;
  readonly operation: 'read' | 'write' | 'describe' | 'idempotent-write';
}

/** Kafka's one cluster resource is always called this. */
export const KAFKA_CLUSTER_RESOURCE = 'kafka-cluster';

export function principalOf(service: string): string {
  return `User:${service}`;
}

/**
 * Every ACL the services need, derived from the topic registry (who owns,
 * i.e. produces, each topic) and the consumer map (who reads what, in which
 * group). Nothing else is granted, so with an authorizer that denies by
 * default a service can write only its own topics and read only its
 * subscriptions:
 *
 * - owner of T: WRITE and DESCRIBE on T; IDEMPOTENT_WRITE on the cluster,
 *   which the idempotent producer's InitProducerId asks for;
 * - consumer of T in group G: READ and DESCRIBE on T, READ on G, and WRITE
 *   and DESCRIBE on `T.dlq` (the inbox dead-letters there, with the same
 *   idempotent producer);
 * - every service: DESCRIBE on every registry topic and its `.dlq` twin, so
 *   its start-up check (ensureTopics) sees that they exist instead of trying
 *   to create them. DESCRIBE shows metadata and offsets, never records.
 *
 * Sorted and without duplicates, so two plans compare equal.
 */
export function serviceAcls(
  topics: readonly TopicSpec[] = allTopics,
  consumers: readonly ConsumerSpec[] = allConsumers,
): ServiceAcl[] {
  const acls = new Map<string, ServiceAcl>();
  const grant = (
    service: string,
    resourceType: ServiceAcl['resourceType'],
    resourceName: string,
    operation: ServiceAcl['operation'],
  ) => {
    const acl = { principal: principalOf(service), resourceType, resourceName, operation };
    acls.set(aclKey(acl), acl);
  };
  const known = new Set(topics.map((t) => t.name));
  for (const consumer of consumers) {
    for (const topic of consumer.topics) {
      if (!known.has(topic)) {
        throw new Error(
          `${consumer.service} consumes ${topic}, which is not in the topic registry`,
        );
      }
    }
  }
  const services = [
    ...new Set([...topics.map((t) => t.owner), ...consumers.map((c) => c.service)]),
  ];

  for (const service of services) {
    for (const topic of topics) {
      grant(service, 'topic', topic.name, 'describe');
      grant(service, 'topic', deadLetterTopicOf(topic.name), 'describe');
    }
  }
  for (const topic of topics) {
    grant(topic.owner, 'topic', topic.name, 'write');
    grant(topic.owner, 'cluster', KAFKA_CLUSTER_RESOURCE, 'idempotent-write');
  }
  for (const consumer of consumers) {
    grant(consumer.service, 'group', consumer.groupId, 'read');
    for (const topic of consumer.topics) {
      grant(consumer.service, 'topic', topic, 'read');
      grant(consumer.service, 'topic', deadLetterTopicOf(topic), 'write');
      grant(consumer.service, 'cluster', KAFKA_CLUSTER_RESOURCE, 'idempotent-write');
    }
  }
  return [...acls.values()].sort((a, b) => aclKey(a).localeCompare(aclKey(b)));
}

/** The principals the plan grants anything to: the SASL users a secured broker needs. */
export function servicePrincipals(acls: readonly ServiceAcl[] = serviceAcls()): string[] {
  return [...new Set(acls.map((acl) => acl.principal))].sort();
}

export function aclKey(acl: ServiceAcl): string {
  return `${acl.principal} ${acl.resourceType}:${acl.resourceName} ${acl.operation}`;
}
