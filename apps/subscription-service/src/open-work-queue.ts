import type { Logger } from '@switchboard/logger';
import { createWorkQueue, type WorkQueue } from '@switchboard/work-queue';

/**
 * How long one attempt waits for the broker. The service retries opening
 * by itself with back-off (see createQueueOpener), so one attempt is short
 * rather than the sends' 30 s.
 */
const OPEN_ATTEMPT_MS = 5_000;

/**
 * The work queue QUEUE_URL names (RabbitMQ or SQS), ready once the broker
 * answered and the queues exist; one attempt, which `signal` aborts.
 * The broker's own delivery limit sits above the workers' attempts: the
 * workers dead-letter with a recorded reason first, and the broker's limit
 * only catches a job that crashes its worker every time.
 */
export function openWorkQueue(
  queueUrl: string,
  options: {
    logger: Logger;
    deliveryAttempts: number;
    visibilityTimeoutSeconds: number;
    signal?: AbortSignal;
  },
): Promise<WorkQueue> {
  return createWorkQueue(queueUrl, {
    logger: options.logger,
    queueName: 'subscription-deliveries',
    maxDeliveries: options.deliveryAttempts + 4,
    openTimeoutMs: OPEN_ATTEMPT_MS,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    signal: options.signal,
  });
}
