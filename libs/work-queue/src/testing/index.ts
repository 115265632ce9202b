export { startRabbitTestBroker } from './rabbitmq-test-broker';
export type {
  RabbitTestBroker,
  RabbitTestBrokerOptions,
  RabbitTestBrokerPorts,
} from './rabbitmq-test-broker';
export { startElasticMqTestBroker } from './elasticmq-test-broker';
export type { ElasticMqTestBroker, ElasticMqTestBrokerOptions } from './elasticmq-test-broker';
export { default as jestQueueSetup } from './jest-queue-setup';
export { default as jestQueueTeardown } from './jest-queue-teardown';
export { freePort } from './free-port';
