import { deadLetterTopicOf, type TopicSpec } from '@switchboard/contracts';

/** The Strimzi Kafka cluster the topics belong to (overlays/production/kafka.yaml). */
export const KAFKA_CLUSTER = 'switchboard-kafka';

/** Where the production overlay keeps the generated topics. */
export const KAFKA_TOPICS_FILE = 'deploy/kubernetes/overlays/production/kafka-topics.yaml';

/**
 * One Strimzi KafkaTopic per registry topic and per dead-letter twin, with the
 * partitions the registry gives (the services create the same pairs with the
 * same counts where no operator does; see libs/event-bus ensureTopics).
 * Three replicas and min.insync.replicas 2: with the producers' acks=all, a
 * write survives the loss of any one broker, and one broker may be down
 * while writes go on.
 */
export function renderKafkaTopics(topics: readonly TopicSpec[]): string {
  const header = [
    '# Generated from the topic registry (libs/contracts/src/topics.ts) by',
    '# `npm run generate:kafka-topics`; a test fails when it is stale. Do not edit.',
  ];
  const documents = topics.flatMap((topic) => [
    kafkaTopic(topic.name, topic.partitions, topic.description),
    kafkaTopic(deadLetterTopicOf(topic.name), topic.partitions, `Dead letters of ${topic.name}.`),
  ]);
  return `${header.join('\n')}\n${documents.join('---\n')}`;
}

function kafkaTopic(name: string, partitions: number, description: string): string {
  return [
    `# ${description}`,
    'apiVersion: kafka.strimzi.io/v1',
    'kind: KafkaTopic',
    'metadata:',
    // Topic names are valid object names (lowercase, dots); topicName says it outright.
    `  name: ${name}`,
    `  labels: { strimzi.io/cluster: ${KAFKA_CLUSTER} }`,
    'spec:',
    `  topicName: ${name}`,
    `  partitions: ${partitions}`,
    '  replicas: 3',
    '  config:',
    "    min.insync.replicas: '2'",
    '',
  ].join('\n');
}
