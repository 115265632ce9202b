import type { Logger } from '@switchboard/logger';
import { createWakeup, systemClock, type Clock } from '@switchboard/timing';
import type { WorkQueue } from '@switchboard/work-queue';
import type { DeliveryDispatcher } from './delivery-dispatcher';
import type { DeliveryOutbox } from './delivery-outbox';

export interface DeliveryDispatcherOptions {
  outbox: DeliveryOutbox;
  queue: Pick<WorkQueue, 'send'>;
  logger: Logger;
  clock?: Clock;
  /** The safety poll, for a missed notification. */
  pollMs: number;
  /** The wait after a failing round (broker or database down). */
  retryDelayMs?: number;
  batchSize?: number;
  /** How long a claim holds; longer than a batch takes to send. */
  claimMs?: number;
}

/**
 * Moves deliveries from the table to the work queue: claim, send, and mark
 * sent only after the broker confirmed (WorkQueue.send resolves on the
 * publisher confirm or the SendMessage answer). A crash between the two
 * sends again, with the same id; nothing is lost.
 */
export function createDeliveryDispatcher(options: DeliveryDispatcherOptions): DeliveryDispatcher {
  const { outbox, queue } = options;
  const logger = options.logger.child({ component: 'delivery-dispatcher' });
  const clock = options.clock ?? systemClock;
  const batchSize = options.batchSize ?? 100;
  const claimMs = options.claimMs ?? 60_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;

  let running = false;
  let loop: Promise<void> | undefined;
  const { sleep, poke } = createWakeup(clock);

  async function dispatchOnce(): Promise<number> {
    const batch = await outbox.claim(batchSize, claimMs);
    if (batch.length === 0) return 0;
    const results = await Promise.allSettled(
      batch.map((d) => queue.send({ id: d.deliveryId, body: d.body })),
    );
    const sent = batch
      .filter((_, i) => results[i]!.status === 'fulfilled')
      .map((d) => d.deliveryId);
    const failed = batch
      .filter((_, i) => results[i]!.status === 'rejected')
      .map((d) => d.deliveryId);
    if (sent.length > 0) await outbox.markSent(sent);
    if (failed.length > 0) {
      await outbox.release(failed);
      const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      throw new Error(`${failed.length} of ${batch.length} deliveries not queued`, {
        cause: first.reason,
      });
    }
    return sent.length;
  }

  async function run() {
    let failing = false;
    while (running) {
      try {
        const sent = await dispatchOnce();
        if (failing) logger.info('delivery dispatcher recovered');
        failing = false;
        if (sent > 0) {
          logger.debug({ sent }, 'deliveries queued');
          continue; // more may be waiting
        }
        await sleep(options.pollMs);
      } catch (err) {
        if (!running) break;
        // The rows stay unsent and go out once the queue or the database is back.
        if (!failing) logger.warn({ err }, 'delivery dispatch failed; will retry');
        failing = true;
        await sleep(retryDelayMs);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    poke,
    dispatchOnce,
    async close() {
      if (!running) return;
      running = false;
      poke();
      await loop;
    },
  };
}
