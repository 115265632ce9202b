import type { Logger } from '@switchboard/logger';
import { createPeriodicTask } from '@switchboard/service-runtime';
import type { IdempotencyKeys } from './create-idempotency-keys';
import type { OrderStore } from './create-order-store';
import type { StockSettlement } from './create-stock-settlement';

export interface OrderSettlerOptions {
  store: OrderStore;
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
}

export interface SettleResult {
  committed: number;
  voided: number;
  returned: number;
  purgedKeys: number;
}

export interface OrderSettler {
  start(): void;
  /** Waits for a round in progress, then stops. Safe to call twice. */
  close(): Promise<void>;
  /** One round now: pending commits, pending stock returns, expired idempotency keys. */
  settle(): Promise<SettleResult>;
}

/**
 * Finishes what requests could not: commits of placed orders whose inventory
 * call failed (inventory down), stock returns of cancelled orders, and the
 * purge of idempotency keys past their retention. Runs in every replica; each
 * step is idempotent, so two replicas doing the same order is only wasted work.
 */
export function createOrderSettler(options: OrderSettlerOptions): OrderSettler {
  const { store, settlement, keys, intervalMs, graceMs } = options;
  const batchSize = options.batchSize ?? 100;
  const logger = options.logger.child({ component: 'order-settler' });
  const task = createPeriodicTask({
    intervalMs,
    run: settle,
    onError: (err) => logger.warn({ err }, 'settle round failed'),
  });

  async function settleInventory(result: SettleResult): Promise<void> {
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
    const result: SettleResult = { committed: 0, voided: 0, returned: 0, purgedKeys: 0 };
    try {
      await settleInventory(result);
    } catch (err) {
      // Inventory or the database failed: next round.
      logger.warn({ err }, 'settling reservations failed; will retry');
    }
    result.purgedKeys = await keys.purgeExpired();
    if (result.committed + result.voided + result.returned + result.purgedKeys > 0) {
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
