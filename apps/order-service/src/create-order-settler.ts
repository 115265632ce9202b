import type { Logger } from '@switchboard/logger';
import { createPeriodicTask, type Clock } from '@switchboard/timing';
import type { IdempotencyKeys } from './create-idempotency-keys';
import type { OrderPlacement } from './create-order-placement';
import type { OrderStore } from './create-order-store';
import type { StockSettlement } from './create-stock-settlement';

export interface OrderSettlerOptions {
  store: OrderStore;
  /** Finishes pending and abandoned orders. */
  placement: Pick<OrderPlacement, 'settle'>;
  settlement: StockSettlement;
  keys: Pick<IdempotencyKeys, 'purgeExpired'>;
  intervalMs: number;
  /**
   * Work younger than this is left alone: the request that created it may
   * still be finishing it. Above the longest inventory step.
   */
  graceMs: number;
  logger: Logger;
  /** Orders looked at per kind and round. */
  batchSize?: number;
  /** Times the rounds; tests pass a manual clock and step it. */
  clock?: Clock;
}

export interface SettleResult {
  /** Pending orders whose stock was sold: placed now, with their event. */
  placed: number;
  /** Pending or abandoned orders without stock (or whose stock went back): deleted. */
  discarded: number;
  committed: number;
  voided: number;
  returned: number;
  purgedKeys: number;
}

export interface OrderSettler {
  start(): void;
  /** Waits for a round in progress, then stops. Safe to call twice. */
  close(): Promise<void>;
  /** One round now: unfinished orders, pending commits and stock returns, expired idempotency keys. */
  settle(): Promise<SettleResult>;
}

/**
 * Finishes what requests could not: orders left pending or abandoned (a
 * crash, a timeout, inventory down), commits of placed orders whose inventory
 * call failed (inventory down), stock returns of cancelled orders, and the
 * purge of idempotency keys past their retention. Runs in every replica; each
 * step is idempotent, so two replicas doing the same order is only wasted work.
 */
export function createOrderSettler(options: OrderSettlerOptions): OrderSettler {
  const { store, placement, settlement, keys, intervalMs, graceMs } = options;
  const batchSize = options.batchSize ?? 100;
  const logger = options.logger.child({ component: 'order-settler' });
  const task = createPeriodicTask({
    intervalMs,
    clock: options.clock,
    run: settle,
    onError: (err) => logger.warn({ err }, 'settle round failed'),
  });

  async function settleInventory(result: SettleResult): Promise<void> {
    for (const order of await store.unsettled(graceMs, batchSize)) {
      if (task.stopped) return;
      const outcome = await placement.settle(order);
      if (outcome === 'placed') result.placed++;
      if (outcome === 'voided') result.discarded++;
    }
    // Orders placed before allocation was one step may still wait for a commit.
    const commits = await store.pendingCommits(graceMs, batchSize);
    const returns = await store.pendingReturns(graceMs, batchSize);
    if (commits.length === 0 && returns.length === 0) return;
    for (const orderId of commits) {
      if (task.stopped) return;
      const outcome = await settlement.commit(orderId);
      if (outcome === 'committed') result.committed++;
      if (outcome === 'voided') result.voided++;
    }
    for (const pending of returns) {
      if (task.stopped) return;
      if ((await settlement.returnStock(pending)) === 'returned') result.returned++;
    }
  }

  async function settle(): Promise<SettleResult> {
    const result: SettleResult = {
      placed: 0,
      discarded: 0,
      committed: 0,
      voided: 0,
      returned: 0,
      purgedKeys: 0,
    };
    try {
      await settleInventory(result);
    } catch (err) {
      // Inventory or the database failed: next round.
      logger.warn({ err }, 'settling reservations failed; will retry');
    }
    result.purgedKeys = await keys.purgeExpired();
    if (Object.values(result).some((n) => n > 0)) {
      logger.info(result, 'settled');
    }
    return result;
  }

  return {
    start: task.start,
    close: task.close,
    settle,
  };
}
