import { startElasticMqTestBroker } from './elasticmq-test-broker';
import { startRabbitTestBroker } from './rabbitmq-test-broker';

/**
 * Jest globalSetup: one RabbitMQ node and one ElasticMQ per jest run, shared
 * by every test file, announced as TEST_RABBITMQ_URL and TEST_ELASTICMQ_ENDPOINT.
 * Either variable already set (a broker you started yourself) is used as is.
 */
export default async function jestQueueSetup(): Promise<void> {
  const holder = globalThis as { __switchboardQueues?: Array<{ stop(): Promise<void> }> };
  const started = (holder.__switchboardQueues ??= []);
  const [rabbit, elastic] = await Promise.all([
    process.env.TEST_RABBITMQ_URL ? undefined : startRabbitTestBroker(),
    process.env.TEST_ELASTICMQ_ENDPOINT ? undefined : startElasticMqTestBroker(),
  ]);
  if (rabbit) {
    started.push(rabbit);
    process.env.TEST_RABBITMQ_URL = rabbit.url;
  }
  if (elastic) {
    started.push(elastic);
    process.env.TEST_ELASTICMQ_ENDPOINT = elastic.endpoint;
  }
}
