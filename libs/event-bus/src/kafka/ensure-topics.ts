import type { Admin } from 'kafkajs';
import { deadLetterTopicOf, type TopicSpec } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { EnsureTopicsResult } from '../event-bus';

export interface EnsureTopicsOptions {
  /** Replicas per created topic; -1 lets the broker's default.replication.factor decide. */
  readonly replicationFactor: number;
  readonly logger: Logger;
}

/** Creates every topic of `specs` and its `.dlq` twin that is missing, and waits for leaders. */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  { replicationFactor, logger }: EnsureTopicsOptions,
): Promise<EnsureTopicsResult> {
  const wanted = new Map<string, number>();
  for (const spec of specs) {
    wanted.set(spec.name, spec.partitions);
    wanted.set(deadLetterTopicOf(spec.name), spec.partitions);
  }
  const present = new Set(await admin.listTopics());
  const missing = [...wanted].filter(([name]) => !present.has(name));
  const existing = [...wanted.keys()].filter((name) => present.has(name));
  if (missing.length > 0) {
    // Another service may create the same topics concurrently; kafkajs
    // resolves (false) when every failure is TOPIC_ALREADY_EXISTS.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(([topic, numPartitions]) => ({
        topic,
        numPartitions,
        replicationFactor,
      })),
    });
    logger.info({ topics: missing.map(([name]) => name) }, 'created kafka topics');
  }
  if (existing.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: existing });
    for (const topic of metadata.topics) {
      const expected = wanted.get(topic.name)!;
      if (topic.partitions.length !== expected) {
        // Repartitioning moves keys between partitions and breaks their
        // ordering, so it is an operator's decision, never automatic.
        logger.warn(
          { topic: topic.name, partitions: topic.partitions.length, expected },
          'kafka topic has a different partition count than the registry',
        );
      }
    }
  }
  return { created: missing.map(([name]) => name), existing };
}
