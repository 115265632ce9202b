import type { OrderService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { CallContext, Caller, ServiceImpl } from '@switchboard/rpc';
import type { OrderPlacement } from './create-order-placement';
import type { OrderStore } from './create-order-store';
import type { StockSettlement } from './create-stock-settlement';
import { orderMessage } from './order-messages';
import { createOrderMetrics } from './order-metrics';
import { encodePageToken } from './page-token';
import { runDetached } from './run-detached';
import {
  validateIdempotencyKey,
  validateListOrders,
  normaliseOrderId,
  validatePlaceOrder,
} from './validate-order-requests';

export { orderAccessPolicy } from '@switchboard/contracts';

export interface OrderServiceDeps {
  store: OrderStore;
  placement: OrderPlacement;
  settlement: StockSettlement;
}

function callerOf(ctx: CallContext): Caller {
  // The access policy guarantees a caller; this only guards a policy edited to 'public'.
  if (ctx.caller === undefined) {
    throw new DomainError('UNAUTHENTICATED', `${ctx.method} needs a bearer token`);
  }
  return ctx.caller;
}

function orderNotFound(orderId: string): DomainError {
  return new DomainError('ORDER_NOT_FOUND', `order ${orderId} not found`, { details: { orderId } });
}

/**
 * The gRPC face of the orders: validates each request, calls the placement
 * saga or the store, and shapes the answer. A customer only ever sees their
 * own orders: anyone else's answer NOT_FOUND, exactly like a missing one.
 */
export function createOrderService(deps: OrderServiceDeps): ServiceImpl<typeof OrderService> {
  const { store, placement, settlement } = deps;
  const orderMetrics = createOrderMetrics();
  return {
    async placeOrder(request, ctx) {
      const caller = callerOf(ctx);
      const idempotencyKey = validateIdempotencyKey(ctx.header('idempotency-key'));
      const items = validatePlaceOrder(request.items);
      const order = await placement.place({
        customerId: caller.userId,
        items,
        signal: ctx.signal,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      return { order: orderMessage(order) };
    },

    async getOrder(request, ctx) {
      const { userId } = callerOf(ctx);
      const orderId = normaliseOrderId(request.orderId);
      const order = await store.get(userId, orderId);
      if (order === undefined) throw orderNotFound(orderId);
      return { order: orderMessage(order) };
    },

    async listOrders(request, ctx) {
      const { userId } = callerOf(ctx);
      const page = await store.list(userId, validateListOrders(request));
      return {
        orders: page.orders.map(orderMessage),
        nextPageToken: page.next === undefined ? '' : encodePageToken(page.next),
      };
    },

    /**
     * Idempotent: cancelling a cancelled order answers it unchanged and
     * writes no second event. The cancellation and its OrderCancelled commit
     * together; giving the stock back follows, and whatever of it cannot be
     * done now is left to the settler.
     */
    async cancelOrder(request, ctx) {
      const caller = callerOf(ctx);
      const orderId = normaliseOrderId(request.orderId);
      const result = await store.cancel(caller.userId, orderId);
      if (result === undefined) throw orderNotFound(orderId);
      if (result.changed) {
        orderMetrics.cancelled.add(1, { reason: 'customer' });
        await runDetached(() => settlement.returnStock(result.order));
      }
      return { order: orderMessage(result.order) };
    },
  };
}
