// Jest loads a globalSetup outside its module mapper, so the workspace
// aliases do not resolve here: these two imports go by path.
/* eslint-disable @nx/enforce-module-boundaries */
import jestKafkaSetup from '../../../../libs/testing/src/jest-kafka-setup';
import jestQueueSetup from '../../../../libs/work-queue/src/testing/jest-queue-setup';

/** One Kafka broker, one RabbitMQ node and one ElasticMQ for the whole run. */
export default async function jestSetup(): Promise<void> {
  await Promise.all([jestKafkaSetup(), jestQueueSetup()]);
}
