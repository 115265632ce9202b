import { runInTransaction } from '@switchboard/storage';
import { randomUUID } from 'node:crypto';
import { DomainError, isDomainError, type ErrorKind } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import type { Kysely } from '@switchboard/storage';
import type { IdempotencyKeys } from './create-idempotency-keys';
import type { InventoryGateway, ReservedLine } from './create-inventory-gateway';
import type { OrderStore, PendingOrder, UnsettledOrder } from './create-order-store';
import type { StoredOrder } from './order-messages';
import { createOrderMetrics } from './order-metrics';
import type { OrderDatabase } from './order-schema';
import { runDetached } from './run-detached';
import { requestHash, type RequestedItem } from './validate-order-requests';

export interface PlaceOrderInput {
  /** The verified caller: inventory records the reservation as theirs. */
  customerId: string;
  items: readonly RequestedItem[];
  idempotencyKey?: string;
  /** The incoming call's: a duplicate waiting for its twin stops when the caller gives up. */
  signal: AbortSignal;
}

export type SettleOutcome =
  /** It had stock: now placed, with its OrderPlaced. */
  | 'placed'
  /** It had no stock, or its stock went back: the row is gone, its key free again. */
  | 'voided'
  /** Inventory or the database could not be asked: the settler tries again. */
  | 'pending';

export interface OrderPlacement {
  place(input: PlaceOrderInput): Promise<StoredOrder>;
  /**
   * Finishes an order no request finished, from inventory's final word on
   * its id: a pending one is placed if its stock was sold and deleted if not;
   * an abandoned one gets its stock back, then is deleted. Never throws.
   */
  settle(order: UnsettledOrder): Promise<SettleOutcome>;
}

export interface OrderPlacementOptions {
  db: Kysely<OrderDatabase>;
  store: OrderStore;
  keys: IdempotencyKeys;
  inventory: InventoryGateway;
  logger: Logger;
}

/** Inventory said no, and all or nothing means nothing was reserved. */
const refusalKinds = new Set<ErrorKind>([
  'invalid_argument',
  'not_found',
  'failed_precondition',
  'unauthenticated',
  'permission_denied',
  'already_exists',
]);
const isRefusal = (err: unknown) => isDomainError(err) && refusalKinds.has(err.kind);

/** The one currency of an order's lines, or a refusal naming what was mixed. */
function currencyOf(lines: readonly ReservedLine[]): string {
  const currencies = [...new Set(lines.map((line) => line.currencyCode))];
  if (currencies.length !== 1 || currencies[0] === undefined) {
    throw new DomainError(
      'ORDER_MIXED_CURRENCIES',
      `an order is paid in one currency, but these items are priced in ${currencies.join(', ')}; order them separately`,
      { details: { currencies } },
    );
  }
  return currencies[0];
}

/**
 * PlaceOrder in three transactions:
 * 1. the order as pending, with its idempotency key's claim (order database);
 * 2. AllocateStock: reserve and commit at once, keyed by the order id
 *    (inventory database);
 * 3. pending → PLACED with its lines, the key completed and OrderPlaced in the
 *    outbox (order database).
 *
 * A refusal at 2 sold nothing: the pending row and the key go. Any other
 * failure leaves the outcome open, so the order is marked abandoned (its key
 * is free again at once: an abandoned order is never placed) and inventory
 * is asked for its final word (VoidAllocation, which also fences a
 * late allocate): stock that was sold goes back, then the row goes. What the
 * request cannot finish (a crash, inventory or the database down) the settler
 * finishes from the same pending or abandoned row.
 */
export function createOrderPlacement(options: OrderPlacementOptions): OrderPlacement {
  const { db, store, keys, inventory } = options;
  const logger = options.logger.child({ component: 'order-placement' });
  const orderMetrics = createOrderMetrics();

  /** Step 3: the order placed from the lines inventory sold it; undefined if it is not pending any more. */
  function finish(pending: PendingOrder, reserved: readonly ReservedLine[]) {
    const currencyCode = currencyOf(reserved);
    return runInTransaction(db, async (trx) => {
      const order = await store.placePending(trx, {
        orderId: pending.orderId,
        customerId: pending.customerId,
        currencyCode,
        lines: reserved.map((line) => ({
          sku: line.sku,
          quantity: line.quantity,
          unitPriceMinor: line.unitPriceMinor,
        })),
      });
      if (order !== undefined && pending.idempotencyKey !== undefined)
        await keys.complete(trx, pending.customerId, pending.idempotencyKey, pending.orderId);
      return order;
    });
  }

  /** An abandoned order's stock goes back, whatever inventory did with it, then the row goes. */
  async function giveBack(orderId: string): Promise<void> {
    const sold = await inventory.voidAllocation(orderId);
    if (sold !== undefined) await inventory.returnCommitted(orderId);
    await store.discard(orderId);
  }

  /**
   * After a failure with the outcome open. The caller's deadline does not
   * bound it; failures are logged and left to the settler, never thrown.
   */
  function abandon(orderId: string): Promise<void> {
    return runDetached(async () => {
      try {
        // Not pending any more: the settler placed it meanwhile, or it is gone.
        if (!(await store.abandon(db, orderId))) return;
        await giveBack(orderId);
      } catch (err) {
        logger.warn({ err, orderId }, 'cannot settle an abandoned order now; the settler will');
      }
    });
  }

  async function discard(orderId: string): Promise<void> {
    await runDetached(() => store.discard(orderId)).catch((err: unknown) =>
      logger.warn({ err, orderId }, 'cannot delete a pending order; the settler will'),
    );
  }

  async function replay(customerId: string, orderId: string): Promise<StoredOrder> {
    const order = await store.get(customerId, orderId);
    // A completed key is written in the order's own transaction.
    if (order === undefined)
      throw new Error(`idempotency key completed by order ${orderId}, which is missing`);
    return order;
  }

  async function settle(order: UnsettledOrder): Promise<SettleOutcome> {
    const { orderId } = order;
    try {
      if (order.status === 'abandoned') {
        await giveBack(orderId);
        return 'voided';
      }
      const sold = await inventory.voidAllocation(orderId);
      if (sold === undefined) {
        await store.discard(orderId);
        return 'voided';
      }
      const placed = await finish(order, sold).catch(async (err: unknown) => {
        // Its key names another order now (or was purged): placing this one
        // would answer the key twice, so it is given up and its stock goes back.
        if (!(isDomainError(err) && err.code === 'IDEMPOTENCY_KEY_IN_USE')) throw err;
        if (await store.abandon(db, orderId)) await giveBack(orderId);
        return 'voided' as const;
      });
      if (placed === 'voided') return 'voided';
      if (placed === undefined) return 'pending';
      orderMetrics.placed.add(1);
      return 'placed';
    } catch (err) {
      logger.warn({ err, orderId }, 'cannot settle an unfinished order now; will retry');
      return 'pending';
    }
  }

  return {
    settle,
    async place(input) {
      const { customerId, items, idempotencyKey } = input;
      const pending: PendingOrder = {
        orderId: randomUUID(),
        customerId,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      };
      // Step 1.
      if (idempotencyKey === undefined) {
        await store.insertPending(db, pending);
      } else {
        const claim = await keys.claim(
          customerId,
          idempotencyKey,
          requestHash(items),
          input.signal,
          { pendingOrder: true },
        );
        if (claim.kind === 'completed') return replay(customerId, claim.orderId);
        pending.orderId = claim.orderId;
        // The request that held the key before died: its order was given up with the key.
        if (claim.supersededOrderId !== undefined) await abandonSettled(claim.supersededOrderId);
      }
      const { orderId } = pending;

      // Step 2.
      let sold: ReservedLine[];
      try {
        sold = await inventory.allocate(orderId, items, customerId);
      } catch (err) {
        // A refusal sold nothing: the order simply did not happen. Anything
        // else may hide a sale (a timeout; even UNAVAILABLE, if a connection
        // dropped after inventory had processed the call), so it is voided.
        if (isRefusal(err)) await discard(orderId);
        else await abandon(orderId);
        throw err;
      }

      // Step 3.
      let order: StoredOrder | undefined;
      try {
        order = await finish(pending, sold);
      } catch (err) {
        // No placed order: the sold stock must not stay sold for it.
        await abandon(orderId);
        throw err;
      }
      if (order === undefined) {
        // Not pending any more: the settler placed it (then it is the answer),
        // or a request that took the key over abandoned it.
        const placed = await store.get(customerId, orderId);
        if (placed !== undefined) return placed;
        throw new DomainError(
          'IDEMPOTENCY_KEY_IN_USE',
          'another request with this idempotency-key took over placing the order; retry to get its result',
          { details: { idempotencyKey: idempotencyKey ?? '' } },
        );
      }
      orderMetrics.placed.add(1);
      return order;
    },
  };

  /** A superseded holder's order: given up now, so its stock is back before this one is placed. */
  async function abandonSettled(orderId: string): Promise<void> {
    await runDetached(() => giveBack(orderId)).catch((err: unknown) =>
      logger.warn({ err, orderId }, 'cannot settle a superseded order now; the settler will'),
    );
  }
}
