import { randomUUID } from 'node:crypto';

/**
 * A queue of the spec's own on the run's RabbitMQ node (jest-setup.ts), so
 * specs running side by side never take each other's jobs.
 */
export function testQueueUrl(): string {
  const base = process.env.TEST_RABBITMQ_URL;
  if (!base) throw new Error('TEST_RABBITMQ_URL is unset: run through the jest config');
  return `${base}/?queue=subscription-spec-${randomUUID()}`;
}
