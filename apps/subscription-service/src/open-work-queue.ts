import type { Logger } from '@switchboard/logger';
import type { WorkQueue } from '@switchboard/work-queue';

/**
 * The work queue QUEUE_URL names. The backends (amqp/, sqs/) and their
 * createWorkQueue are being written on another branch; until they are
 * merged there is none, and the service says so at start: deliveries are
 * still matched and stored, unsent, and go out once a backend exists. This
 * file is the one place the merge changes.
 */
export function openWorkQueue(queueUrl: string, logger: Logger): WorkQueue | undefined {
  logger.warn(
    { queue: new URL(queueUrl).protocol },
    'no work-queue backend in this build: deliveries are stored but not dispatched',
  );
  return undefined;
}
