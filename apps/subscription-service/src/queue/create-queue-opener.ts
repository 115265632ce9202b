import type { Logger } from '@switchboard/logger';
import { createStartRetry, systemClock, type Clock } from '@switchboard/timing';
import type { WorkQueue } from '@switchboard/work-queue';
import type { QueueOpener, QueueUser } from './queue-opener';

export interface QueueOpenerOptions {
  /** One attempt to open the queue; `signal` aborts it when the service closes. */
  open(signal: AbortSignal): Promise<WorkQueue>;
  /** Starts what runs on the open queue; if it throws, it has stopped what it started. */
  use(queue: WorkQueue): Promise<QueueUser>;
  logger: Logger;
  /** Paces the retries (1 s doubling to 5 s); a test steps a manual one. */
  clock?: Clock;
}

export function createQueueOpener(options: QueueOpenerOptions): QueueOpener {
  const { logger } = options;
  const aborting = new AbortController();
  let closing = false;
  let queue: WorkQueue | undefined;
  let user: QueueUser | undefined;
  let starting: Promise<boolean> | undefined;
  let why = 'not opened yet';
  let failures = 0;

  async function tryOpen(): Promise<boolean> {
    let opened: WorkQueue;
    try {
      opened = await options.open(aborting.signal);
    } catch (err) {
      if (closing) return true;
      return failed(err);
    }
    if (closing) {
      await opened.close().catch(() => undefined);
      return true;
    }
    try {
      user = await options.use(opened);
    } catch (err) {
      await opened.close().catch(() => undefined);
      if (closing) return true;
      return failed(err);
    }
    queue = opened;
    logger.info({ afterFailures: failures }, 'work queue open; deliveries are dispatched');
    return true;
  }

  function failed(err: unknown): false {
    why = err instanceof Error ? err.message : String(err);
    failures++;
    // At most one line every 5 s while the broker is away: each failure is worth one.
    logger.warn(
      { err, failures },
      'work queue not open; matched deliveries wait in PostgreSQL; will retry',
    );
    return false;
  }

  const retry = createStartRetry(tryOpen, () => closing, options.clock ?? systemClock);

  return {
    get queue() {
      return queue;
    },
    start() {
      starting ??= retry.start();
    },
    async probe() {
      if (!queue) throw new Error(`work queue not open: ${why}`);
    },
    async close() {
      if (closing) return;
      closing = true;
      aborting.abort();
      retry.wake();
      await starting;
      await retry.settled();
      await user?.close();
      await queue?.close();
    },
  };
}
