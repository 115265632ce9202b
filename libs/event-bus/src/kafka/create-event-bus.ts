import { Kafka } from 'kafkajs';
import { createEventRegistry } from '../create-event-registry';
import type { EventBus, EventBusOptions } from '../event-bus';
import { createAdminPool } from './create-admin-pool';
import { createCloseGroup } from './create-close-group';
import { createKafkaConsumer } from './create-kafka-consumer';
import { createKafkaLogCreator, kafkaLogLevelFor } from './create-kafka-log-creator';
import { createKafkaProducer } from './create-kafka-producer';
import { describeTopics } from './describe-topics';
import { ensureTopics } from './ensure-topics';
import { fetchConsumerLag } from './fetch-consumer-lag';
import { fetchTopicOffsets } from './fetch-topic-offsets';
import { createKafkaSecurity } from './security/create-kafka-security';
import { silenceKafkajsTimerWarning } from './silence-kafkajs-timer-warning';
import { stopKafkajsIdleSpin } from './stop-kafkajs-idle-spin';
import { withTimeout } from './with-timeout';

/** The event bus on Kafka, through kafkajs. */
export function createEventBus(options: EventBusOptions): EventBus {
  silenceKafkajsTimerWarning();
  stopKafkajsIdleSpin();
  const { logger } = options;
  const registry = createEventRegistry(options.topics);
  const clientConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: kafkaLogLevelFor(logger),
    logCreator: createKafkaLogCreator(logger),
    ...createKafkaSecurity(options.security),
  };
  const kafka = new Kafka(clientConfig);
  // Health checks must answer fast and never queue behind retries, so they
  // get their own client that gives up after one attempt.
  const probeKafka = new Kafka({ ...clientConfig, retry: { retries: 0 } });

  const closeGroup = createCloseGroup();
  const admins = createAdminPool(kafka);
  const probeAdmin = createAdminPool(probeKafka);

  return {
    registry,
    ensureTopics: (specs = registry.topics) =>
      admins.use((admin) =>
        ensureTopics(admin, specs, {
          replicationFactor: options.replicationFactor ?? -1,
          logger,
        }),
      ),
    async ping(timeoutMs = 2_000) {
      await withTimeout(
        probeAdmin.use((admin) => admin.describeCluster()),
        timeoutMs,
        `kafka did not answer within ${timeoutMs} ms`,
      );
    },
    listTopics: () => admins.use((admin) => admin.listTopics()),
    topicOffsets: (topic) =>
      admins.use(async (admin) =>
        (await fetchTopicOffsets(admin, topic))
          .map(({ partition, low, high }) => ({ partition, low, high }))
          .sort((a, b) => a.partition - b.partition),
      ),
    consumerLag: (groupId, lagTopics) =>
      admins.use((admin) => fetchConsumerLag(admin, groupId, lagTopics)),
    describeTopics: () => admins.use(describeTopics),
    createProducer: () =>
      createKafkaProducer({ kafka, registry, source: options.source, closeGroup }),
    createConsumer: (consumer) =>
      createKafkaConsumer({ kafka, registry, logger, admins, closeGroup, consumer }),
    async close() {
      if (closeGroup.closed) return;
      const results = await closeGroup.closeAll();
      await Promise.allSettled([admins.close(), probeAdmin.close()]);
      for (const result of results) {
        if (result.status === 'rejected')
          logger.warn({ err: result.reason }, 'error while closing kafka client');
      }
    },
  };
}
