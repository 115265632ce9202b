import { createHash } from 'node:crypto';
import type { ListOrdersRequest, OrderItem } from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
import { orderLimits as limits } from './order-limits';
import { decodePageToken, type OrderCursor } from './page-token';

/**
 * Request validation for every OrderService method. Each validator collects
 * every broken rule before failing, so a caller fixes them all in one round
 * trip. Field names are the proto's (snake_case), as a grpcurl user types them.
 */

export interface RequestedItem {
  sku: string;
  quantity: number;
}

export interface OrderPage {
  pageSize: number;
  after?: OrderCursor;
}

class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw createValidationError(this.list);
  }
}

/**
 * PlaceOrder items: 1-100 lines, 1-1000 each, well-formed skus. A sku listed
 * twice is refused, naming it, rather than merged: merging would silently
 * change what the caller sees on the order, and one line per sku keeps the
 * inventory's "all or nothing" and its shortfall report unambiguous.
 */
export function validatePlaceOrder(items: readonly OrderItem[]): RequestedItem[] {
  const v = new Violations();
  if (items.length === 0) v.add('items', 'must list at least one item');
  if (items.length > limits.maxLines) {
    v.add('items', `must list at most ${limits.maxLines} items (got ${items.length})`);
  }
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (item.sku === '') v.add(`items[${i}].sku`, 'is required');
    else if (!limits.skuPattern.test(item.sku)) v.add(`items[${i}].sku`, limits.skuRule);
    else if (seen.has(item.sku)) {
      v.add(
        `items[${i}].sku`,
        `duplicates ${item.sku}: list each sku once with the total quantity`,
      );
    }
    seen.add(item.sku);
    if (item.quantity < 1 || item.quantity > limits.maxQuantityPerLine) {
      v.add(`items[${i}].quantity`, `must be between 1 and ${limits.maxQuantityPerLine}`);
    }
  });
  v.throwIfAny();
  return items.map((item) => ({ sku: item.sku, quantity: item.quantity }));
}

/**
 * The `idempotency-key` metadata: undefined when not sent. An empty or
 * malformed key is refused rather than ignored, since a caller who sent one
 * relies on it to make a retry safe.
 */
export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const v = new Violations();
  if (!limits.idempotencyKeyPattern.test(key)) v.add('idempotency-key', limits.idempotencyKeyRule);
  v.throwIfAny();
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

/** Order ids are the UUIDs PlaceOrder returns; anything else cannot name an order. */
export function validateOrderId(orderId: string): string {
  const v = new Violations();
  const normalised = orderId.toLowerCase();
  if (orderId === '') v.add('order_id', 'is required');
  else if (!limits.orderIdPattern.test(normalised)) {
    v.add('order_id', 'must be an order id as returned by PlaceOrder (a UUID)');
  }
  v.throwIfAny();
  return normalised;
}

/**
 * Out-of-range page sizes are rejected rather than clamped: a caller asking
 * for 500 who silently gets 100 may take the short page for the end.
 */
export function validateListOrders(request: ListOrdersRequest): OrderPage {
  const v = new Violations();
  if (request.pageSize < 0 || request.pageSize > limits.maxPageSize) {
    v.add(
      'page_size',
      `must be between 1 and ${limits.maxPageSize}, or 0 for the default of ${limits.defaultPageSize}`,
    );
  }
  let after: OrderCursor | undefined;
  if (request.pageToken !== '') {
    after = decodePageToken(request.pageToken);
    if (after === undefined)
      v.add('page_token', 'is not a token from a previous ListOrders response');
  }
  v.throwIfAny();
  return {
    pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize,
    ...(after === undefined ? {} : { after }),
  };
}
