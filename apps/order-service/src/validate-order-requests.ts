import { createHash } from 'node:crypto';
import type { ListOrdersRequest, OrderItem } from '@switchboard/contracts';
import { createValidationError, requireEachSkuOnce } from '@switchboard/errors';
import { orderLimits as limits } from './order-limits';
import { decodePageToken, type OrderCursor } from './page-token';

/**
 * The order service's rules that the contract cannot state: the field rules
 * (line counts, quantities, sku and id formats, page sizes) are buf.validate
 * annotations in order_service.proto, checked before a handler runs. What
 * stays here needs the whole request or its metadata.
 */

export interface RequestedItem {
  sku: string;
  quantity: number;
}

export interface OrderPage {
  pageSize: number;
  after?: OrderCursor;
}

/** PlaceOrder's lines, each sku once (see requireEachSkuOnce for why). */
export function validatePlaceOrder(items: readonly OrderItem[]): RequestedItem[] {
  return requireEachSkuOnce(items);
}

/**
 * The `idempotency-key` metadata: undefined when not sent. An empty or
 * malformed key is refused rather than ignored, since a caller who sent one
 * relies on it to make a retry safe.
 */
export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!limits.idempotencyKeyPattern.test(key)) {
    throw createValidationError([
      { field: 'idempotency-key', description: limits.idempotencyKeyRule },
    ]);
  }
  return key;
}

/**
 * Identifies "the same request" for an idempotency key: the items sorted by
 * sku, so listing the same lines in another order is still the same request.
 */
export function requestHash(items: readonly RequestedItem[]): string {
  const canonical = [...items]
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
    .map((item) => [item.sku, item.quantity]);
  return createHash('sha256')
    .update(JSON.stringify(['PlaceOrder.v1', canonical]))
    .digest('hex');
}

/** The contract accepts a UUID in either case; the store keys orders by the lower-case form. */
export function normaliseOrderId(orderId: string): string {
  return orderId.toLowerCase();
}

/**
 * Out-of-range page sizes are refused by the contract rather than clamped: a
 * caller asking for 500 who silently gets 100 may take the short page for
 * the end. Here 0 becomes the default, and the token its cursor.
 */
export function validateListOrders(request: ListOrdersRequest): OrderPage {
  let after: OrderCursor | undefined;
  if (request.pageToken !== '') {
    after = decodePageToken(request.pageToken);
    if (after === undefined) {
      throw createValidationError([
        { field: 'page_token', description: 'is not a token from a previous ListOrders response' },
      ]);
    }
  }
  return {
    pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize,
    ...(after === undefined ? {} : { after }),
  };
}
