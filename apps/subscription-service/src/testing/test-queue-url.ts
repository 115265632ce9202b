import { randomUUID } from 'node:crypto';

export type TestQueueBackend = 'rabbitmq' | 'sqs';

/**
 * A queue of the spec's own on the run's RabbitMQ node or ElasticMQ
 * (jest-setup.ts), so specs running side by side never take each other's jobs.
 */
export function testQueueUrl(backend: TestQueueBackend = 'rabbitmq'): string {
  const name = `subscription-spec-${randomUUID()}`;
  if (backend === 'sqs') {
    const endpoint = process.env.TEST_ELASTICMQ_ENDPOINT;
    if (!endpoint) throw new Error('TEST_ELASTICMQ_ENDPOINT is unset: run through the jest config');
    return `${endpoint}/000000000000/${name}`;
  }
  const base = process.env.TEST_RABBITMQ_URL;
  if (!base) throw new Error('TEST_RABBITMQ_URL is unset: run through the jest config');
  return `${base}/?queue=${name}`;
}
