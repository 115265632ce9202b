import type {
  AdjustStockRequest,
  CreateProductRequest,
  ListProductsRequest,
  Money,
  StockItem,
  UpdateProductRequest,
} from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
import { inventoryLimits as limits } from './inventory-limits';
import { decodePageToken } from './page-token';

/**
 * Request validation for every InventoryService method. Each validator
 * collects every broken rule before failing, so a caller fixes them all in one
 * round trip, and returns the request in the shape the stores take. Field
 * names are the proto's (snake_case), as a grpcurl user types them.
 */

export interface Price {
  currencyCode: string;
  amountMinor: bigint;
}

export interface NewProduct {
  sku: string;
  name: string;
  price: Price;
  initialQuantity: number;
}

export interface ProductChanges {
  sku: string;
  name?: string;
  price?: Price;
}

export interface StockAdjustment {
  sku: string;
  delta: number;
}

export interface PageRequest {
  pageSize: number;
  /** Start strictly after this sku; undefined for the first page. */
  afterSku?: string;
}

export interface RequestedItem {
  sku: string;
  quantity: number;
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

function checkSku(v: Violations, field: string, sku: string): void {
  if (sku === '') v.add(field, 'is required');
  else if (!limits.skuPattern.test(sku)) v.add(field, limits.skuRule);
}

// Control characters would break logs and receipts; counted in code points so
// "Café" is four characters, as a person would count it.
const CONTROL = /\p{Cc}/u;

function checkName(v: Violations, name: string): string {
  const trimmed = name.trim();
  const length = [...trimmed].length;
  if (length === 0) v.add('name', 'is required (1-120 characters, not only spaces)');
  else if (length > limits.nameMaxChars)
    v.add('name', `must be at most ${limits.nameMaxChars} characters (got ${length})`);
  else if (CONTROL.test(trimmed)) v.add('name', 'must not contain control characters');
  return trimmed;
}

function checkPrice(v: Violations, price: Money | undefined): Price {
  if (price === undefined) {
    v.add('unit_price', 'is required');
    return { currencyCode: '', amountMinor: 0n };
  }
  if (!limits.currencyPattern.test(price.currencyCode)) {
    v.add('unit_price.currency_code', 'must be a 3-letter upper-case ISO 4217 code, e.g. EUR');
  }
  if (price.amountMinor < 0n) v.add('unit_price.amount_minor', 'must not be negative');
  else if (price.amountMinor > limits.maxPriceMinor) {
    v.add('unit_price.amount_minor', `must be at most ${limits.maxPriceMinor}`);
  }
  return { currencyCode: price.currencyCode, amountMinor: price.amountMinor };
}

export function validateSku(sku: string): string {
  const v = new Violations();
  checkSku(v, 'sku', sku);
  v.throwIfAny();
  return sku;
}

export function validateCreateProduct(request: CreateProductRequest): NewProduct {
  const v = new Violations();
  checkSku(v, 'sku', request.sku);
  const name = checkName(v, request.name);
  const price = checkPrice(v, request.unitPrice);
  if (request.initialQuantity < 0 || request.initialQuantity > limits.maxStock) {
    v.add('initial_quantity', `must be between 0 and ${limits.maxStock}`);
  }
  v.throwIfAny();
  return { sku: request.sku, name, price, initialQuantity: request.initialQuantity };
}

export function validateUpdateProduct(request: UpdateProductRequest): ProductChanges {
  const v = new Violations();
  checkSku(v, 'sku', request.sku);
  const changes: ProductChanges = { sku: request.sku };
  if (request.name !== undefined) changes.name = checkName(v, request.name);
  if (request.unitPrice !== undefined) changes.price = checkPrice(v, request.unitPrice);
  // A request that changes nothing is almost certainly a client bug (a
  // misspelt JSON field in grpcurl is silently dropped); say so.
  if (request.name === undefined && request.unitPrice === undefined) {
    v.add('name', 'name or unit_price must be set: there is nothing to update');
  }
  v.throwIfAny();
  return changes;
}

export function validateAdjustStock(request: AdjustStockRequest): StockAdjustment {
  const v = new Violations();
  checkSku(v, 'sku', request.sku);
  if (request.delta === 0) v.add('delta', 'must not be zero');
  else if (Math.abs(request.delta) > limits.maxStock) {
    v.add('delta', `must be between -${limits.maxStock} and ${limits.maxStock}`);
  }
  v.throwIfAny();
  return { sku: request.sku, delta: request.delta };
}

/**
 * Out-of-range page sizes are rejected rather than clamped: the contract says
 * "1 to 100", and a caller asking for 500 who silently gets 100 may take the
 * short page for the end of the list.
 */
export function validateListProducts(request: ListProductsRequest): PageRequest {
  const v = new Violations();
  if (request.pageSize < 0 || request.pageSize > limits.maxPageSize) {
    v.add(
      'page_size',
      `must be between 1 and ${limits.maxPageSize}, or 0 for the default of ${limits.defaultPageSize}`,
    );
  }
  let afterSku: string | undefined;
  if (request.pageToken !== '') {
    afterSku = decodePageToken(request.pageToken);
    if (afterSku === undefined || !limits.skuPattern.test(afterSku)) {
      v.add('page_token', 'is not a token from a previous ListProducts response');
    }
  }
  v.throwIfAny();
  return { pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize, afterSku };
}

function checkStockItems(v: Violations, items: readonly StockItem[]): RequestedItem[] {
  if (items.length === 0) v.add('items', 'must list at least one item');
  if (items.length > limits.maxItemsPerRequest) {
    v.add('items', `must list at most ${limits.maxItemsPerRequest} items (got ${items.length})`);
  }
  const seen = new Set<string>();
  items.forEach((item, i) => {
    checkSku(v, `items[${i}].sku`, item.sku);
    if (item.quantity < 1 || item.quantity > limits.maxQuantityPerItem) {
      v.add(`items[${i}].quantity`, `must be between 1 and ${limits.maxQuantityPerItem}`);
    }
    // One line per sku keeps "all or nothing" and the shortfall report unambiguous.
    if (seen.has(item.sku)) {
      v.add(
        `items[${i}].sku`,
        `duplicates ${item.sku}: list each sku once with the total quantity`,
      );
    }
    seen.add(item.sku);
  });
  return items.map((item) => ({ sku: item.sku, quantity: item.quantity }));
}

/** `field` names the id as the request does: AllocateStock calls it order_id. */
function checkReservationId(v: Violations, reservationId: string, field: string): void {
  if (reservationId === '') v.add(field, 'is required');
  else if (!limits.reservationIdPattern.test(reservationId)) {
    v.add(field, limits.reservationIdRule);
  }
}

/** CheckAvailability items: 1-100 distinct skus, 1-1000 each. */
export function validateStockItems(items: readonly StockItem[]): RequestedItem[] {
  const v = new Violations();
  const checked = checkStockItems(v, items);
  v.throwIfAny();
  return checked;
}

export function validateReservationId(reservationId: string, field = 'reservation_id'): string {
  const v = new Violations();
  checkReservationId(v, reservationId, field);
  v.throwIfAny();
  return reservationId;
}

export function validateReserveStock(
  request: {
    reservationId: string;
    items: readonly StockItem[];
    customerId: string;
  },
  idField = 'reservation_id',
): { reservationId: string; items: RequestedItem[]; customerId: string } {
  const v = new Violations();
  checkReservationId(v, request.reservationId, idField);
  const items = checkStockItems(v, request.items);
  if (request.customerId === '') v.add('customer_id', 'is required');
  else if (request.customerId.length > limits.customerIdMax) {
    v.add('customer_id', `must be at most ${limits.customerIdMax} characters`);
  }
  v.throwIfAny();
  return { reservationId: request.reservationId, items, customerId: request.customerId };
}
