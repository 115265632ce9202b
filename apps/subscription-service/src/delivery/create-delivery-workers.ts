import type { Logger } from '@switchboard/logger';
import type { JobConsumer, JobHandler, WorkQueue } from '@switchboard/work-queue';

export interface DeliveryWorkersOptions {
  readonly queue: WorkQueue;
  readonly handler: JobHandler;
  /** SUBSCRIPTION_WORKERS: deliveries in flight at once in this process. */
  readonly concurrency: number;
  readonly logger: Logger;
}

/** The service module's view of its workers: started after the server, closed before the queue. */
export interface DeliveryWorkers {
  start(): Promise<void>;
  /**
   * Stops taking jobs and waits for every delivery in flight to finish and
   * record its outcome, so a rolling restart neither cuts a POST off halfway
   * nor leaves a job to be redelivered for nothing.
   */
  close(): Promise<void>;
  /** Deliveries being worked on now. */
  readonly inFlight: number;
}

/**
 * The delivery workers of one process: `concurrency` competing consumers on
 * the work queue. In-flight deliveries are counted here too, not only by the
 * queue's consumer, so close() waits for them whichever backend runs.
 */
export function createDeliveryWorkers(options: DeliveryWorkersOptions): DeliveryWorkers {
  const { queue, handler, concurrency, logger } = options;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new RangeError(`concurrency must be a whole number >= 1 (got ${concurrency})`);
  }
  const running = new Set<Promise<unknown>>();
  let consumer: JobConsumer | undefined;
  let closing: Promise<void> | undefined;

  const tracked: JobHandler = (job) => {
    if (closing !== undefined) {
      // Taken in the instant before the consumer stopped: refuse it unstarted,
      // and the queue hands it to another worker (interface: a throw returns it).
      return Promise.reject(new Error('the delivery workers are stopping'));
    }
    const work = handler(job);
    running.add(work);
    void work.then(
      () => running.delete(work),
      () => running.delete(work),
    );
    return work;
  };

  return {
    async start() {
      if (consumer !== undefined || closing !== undefined) {
        throw new Error('the delivery workers were started already');
      }
      consumer = await queue.consume(tracked, { concurrency });
      logger.info({ workers: concurrency }, 'delivery workers started');
    },
    close() {
      closing ??= (async () => {
        await consumer?.stop();
        await Promise.allSettled([...running]);
        logger.info('delivery workers stopped');
      })();
      return closing;
    },
    get inFlight() {
      return running.size;
    },
  };
}
