import type { Logger } from '@switchboard/logger';
import { createWorkQueue, type WorkQueue } from '@switchboard/work-queue';

/**
 * The work queue QUEUE_URL names (RabbitMQ or SQS), ready once the broker
 * answered, so the service fails at start rather than at its first job.
 * The broker's own delivery limit sits above the workers' attempts: the
 * workers dead-letter with a recorded reason first, and the broker's limit
 * only catches a job that crashes its worker every time.
 */
export function openWorkQueue(
  queueUrl: string,
  options: { logger: Logger; deliveryAttempts: number },
): Promise<WorkQueue> {
  return createWorkQueue(queueUrl, {
    logger: options.logger,
    queueName: 'subscription-deliveries',
    maxDeliveries: options.deliveryAttempts + 4,
  });
}
