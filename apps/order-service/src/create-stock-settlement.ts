import { isDomainError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import type { OrderStore, PendingReturn } from './create-order-store';
import type { InventoryGateway } from './create-inventory-gateway';

export type CommitOutcome =
  /** The stock is sold. */
  | 'committed'
  /** Inventory could not be asked (down, slow): the stock stays held and the settler tries again. */
  | 'pending'
  /** The reservation lapsed before it was committed: the order was cancelled, it has no stock. */
  | 'voided';

export type ReturnOutcome = 'returned' | 'pending';

/**
 * Settles a written order's reservation with the inventory, for the request
 * that wrote it and, when that could not finish, for the settler later. Every
 * step is idempotent on both sides, so running one twice (two replicas, or a
 * request and the settler) is harmless. Neither method throws: what could not
 * be done stays recorded as pending in the orders table.
 */
export interface StockSettlement {
  commit(orderId: string): Promise<CommitOutcome>;
  /** Gives a cancelled order's stock back: released while only held, returned once sold. */
  returnStock(order: PendingReturn): Promise<ReturnOutcome>;
}

export interface StockSettlementOptions {
  store: OrderStore;
  inventory: InventoryGateway;
  logger: Logger;
}

const isCode = (err: unknown, code: string) => isDomainError(err) && err.code === code;

export function createStockSettlement(options: StockSettlementOptions): StockSettlement {
  const { store, inventory } = options;
  const logger = options.logger.child({ component: 'stock-settlement' });

  async function returnSold(orderId: string): Promise<ReturnOutcome> {
    try {
      await inventory.returnCommitted(orderId);
    } catch (err) {
      logger.warn({ err, orderId }, 'returning the stock of a cancelled order failed; will retry');
      return 'pending';
    }
    await store.markStockReturned(orderId);
    return 'returned';
  }

  return {
    async commit(orderId) {
      try {
        await inventory.commit(orderId);
      } catch (err) {
        if (isCode(err, 'RESERVATION_CLOSED') || isCode(err, 'RESERVATION_NOT_FOUND')) {
          // Expired (inventory down past the TTL) or released: the stock is
          // gone, so the order cannot stand. Cancelling it, with its event,
          // keeps "never an order without stock" true for every consumer.
          const voided = await store.voidUncommitted(orderId).catch((voidErr: unknown) => {
            logger.error(
              { err: voidErr, orderId },
              'cannot cancel an order whose reservation lapsed',
            );
            return false;
          });
          if (voided)
            logger.warn({ err, orderId }, 'reservation lapsed before commit: order cancelled');
          return voided ? 'voided' : 'pending';
        }
        logger.warn({ err, orderId }, 'commit of the reservation failed; the settler retries');
        return 'pending';
      }
      // If this write is lost the settler commits again, which inventory answers as done.
      await store
        .markCommitted(orderId)
        .catch((err: unknown) =>
          logger.warn({ err, orderId }, 'cannot record the commit; will redo'),
        );
      return 'committed';
    },

    async returnStock(order) {
      try {
        if (order.reservationCommitted) return await returnSold(order.orderId);
        try {
          await inventory.release(order.orderId);
        } catch (err) {
          // A commit got there first (the order was cancelled while its
          // request was still committing): the stock is sold, so return it.
          // 'returned' means a replica already did; returning again is a no-op.
          if (
            isCode(err, 'RESERVATION_CLOSED') &&
            isDomainError(err) &&
            (err.details?.status === 'committed' || err.details?.status === 'returned')
          ) {
            await store.markCommitted(order.orderId);
            return await returnSold(order.orderId);
          }
          logger.warn(
            { err, orderId: order.orderId },
            'releasing the stock of a cancelled order failed; will retry',
          );
          return 'pending';
        }
        await store.markStockReturned(order.orderId);
        return 'returned';
      } catch (err) {
        logger.warn({ err, orderId: order.orderId }, 'cannot record a stock return; will retry');
        return 'pending';
      }
    },
  };
}
