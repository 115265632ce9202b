import { randomUUID } from 'node:crypto';
import { DomainError, isDomainError, type ErrorKind } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import type { Kysely } from '@switchboard/storage';
import type { IdempotencyKeys } from './create-idempotency-keys';
import type { InventoryGateway, ReservedLine } from './create-inventory-gateway';
import type { OrderStore } from './create-order-store';
import type { StockSettlement } from './create-stock-settlement';
import type { StoredOrder } from './order-messages';
import { createOrderMetrics } from './order-metrics';
import type { OrderDatabase } from './order-schema';
import { runDetached } from './run-detached';
import { runInTransaction } from './run-in-transaction';
import { requestHash, type RequestedItem } from './validate-order-requests';

export interface PlaceOrderInput {
  /** The verified caller: inventory records the reservation as theirs. */
  customerId: string;
  items: readonly RequestedItem[];
  idempotencyKey?: string;
  /** The incoming call's: a duplicate waiting for its twin stops when the caller gives up. */
  signal: AbortSignal;
}

export interface OrderPlacement {
  place(input: PlaceOrderInput): Promise<StoredOrder>;
}

export interface OrderPlacementOptions {
  db: Kysely<OrderDatabase>;
  store: OrderStore;
  keys: IdempotencyKeys;
  inventory: InventoryGateway;
  settlement: StockSettlement;
  logger: Logger;
  /**
   * After a ReserveStock that timed out, inventory may still be reserving:
   * a second release this much later catches a reservation that landed after
   * the first. The inventory's TTL sweeper is the backstop either way.
   */
  lateReleaseDelayMs?: number;
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
 * PlaceOrder as a saga: claim the idempotency key, reserve the stock (the
 * reservation id is the order id), write the order with its lines and its
 * OrderPlaced event in one transaction, then commit the reservation.
 *
 * Failure before the order is written is compensated before answering: the
 * reservation is released, the key given back, and no order exists. Once the
 * order is written it is a fact (its event is in the outbox), so a commit
 * that fails only because inventory cannot be reached leaves the order
 * placed with its stock held; the settler commits it later.
 */
export function createOrderPlacement(options: OrderPlacementOptions): OrderPlacement {
  const { db, store, keys, inventory, settlement } = options;
  const logger = options.logger.child({ component: 'order-placement' });
  const lateReleaseDelayMs = options.lateReleaseDelayMs ?? 5_000;
  const orderMetrics = createOrderMetrics();

  /** Releases the reservation, outside the caller's deadline; failures are logged, not thrown. */
  function release(orderId: string): Promise<void> {
    return runDetached(async () => {
      try {
        await inventory.release(orderId);
      } catch (err) {
        if (isDomainError(err) && err.code === 'RESERVATION_NOT_FOUND') return;
        logger.warn(
          { err, orderId },
          'cannot release the reservation; the inventory TTL sweeper will',
        );
      }
    });
  }

  function releaseNowAndLater(orderId: string): Promise<void> {
    return runDetached(async () => {
      setTimeout(() => void release(orderId), lateReleaseDelayMs).unref();
      await release(orderId);
    });
  }

  async function giveBackKey(input: PlaceOrderInput, orderId: string): Promise<void> {
    if (input.idempotencyKey === undefined) return;
    // If this fails too the claim goes stale and the next retry takes it over.
    await keys
      .abandon(input.customerId, input.idempotencyKey, orderId)
      .catch((err: unknown) =>
        logger.warn({ err, orderId }, 'cannot give back the idempotency key'),
      );
  }

  async function replay(customerId: string, orderId: string): Promise<StoredOrder> {
    const order = await store.get(customerId, orderId);
    // A completed key is written in the order's own transaction.
    if (order === undefined)
      throw new Error(`idempotency key completed by order ${orderId}, which is missing`);
    return order;
  }

  return {
    async place(input) {
      const { customerId, items, idempotencyKey } = input;
      let orderId: string = randomUUID();
      if (idempotencyKey !== undefined) {
        const claim = await keys.claim(
          customerId,
          idempotencyKey,
          requestHash(items),
          input.signal,
        );
        if (claim.kind === 'completed') return replay(customerId, claim.orderId);
        orderId = claim.orderId;
        // The request that held the key before died; its reservation, if any, goes back.
        if (claim.supersededOrderId !== undefined) await release(claim.supersededOrderId);
      }

      let reserved: ReservedLine[];
      try {
        reserved = await inventory.reserve(orderId, items, customerId);
      } catch (err) {
        // A timeout or an outage may hide a reservation that was made.
        if (!isRefusal(err)) await releaseNowAndLater(orderId);
        await giveBackKey(input, orderId);
        throw err;
      }

      let order: StoredOrder;
      try {
        const currencyCode = currencyOf(reserved);
        order = await runInTransaction(db, async (trx) => {
          if (idempotencyKey !== undefined)
            await keys.complete(trx, customerId, idempotencyKey, orderId);
          return store.insertPlaced(trx, {
            orderId,
            customerId,
            currencyCode,
            lines: reserved.map((line) => ({
              sku: line.sku,
              quantity: line.quantity,
              unitPriceMinor: line.unitPriceMinor,
            })),
          });
        });
      } catch (err) {
        // No order row: the stock must not stay held for it.
        await release(orderId);
        await giveBackKey(input, orderId);
        throw err;
      }

      orderMetrics.placed.add(1);
      const outcome = await runDetached(() => settlement.commit(orderId));
      if (outcome === 'voided') {
        orderMetrics.cancelled.add(1, { reason: 'reservation_lapsed' });
        throw new DomainError(
          'RESERVATION_CLOSED',
          `the stock reserved for order ${orderId} lapsed before it could be committed; the order was cancelled, place it again`,
          { details: { orderId } },
        );
      }
      return { ...order, reservationCommitted: outcome === 'committed' };
    },
  };
}
