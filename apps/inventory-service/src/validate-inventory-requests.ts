import type {
  CreateProductRequest,
  ListProductsRequest,
  Money,
  StockItem,
  UpdateProductRequest,
} from '@switchboard/contracts';
import { createValidationError, requireEachSkuOnce } from '@switchboard/errors';
import { inventoryLimits as limits } from './inventory-limits';
import { decodePageToken } from './page-token';

/**
 * The inventory's rules that the contract cannot state: the field rules
 * (lengths, ranges, formats) are buf.validate annotations in
 * inventory_service.proto, checked before a handler runs. What stays here
 * needs the whole request or the service's state: a sku listed twice, a
 * change that changes nothing, a page token's meaning. Each returns the
 * request in the shape the stores take.
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

function toPrice(price: Money): Price {
  return { currencyCode: price.currencyCode, amountMinor: price.amountMinor };
}

/** The product as stored: its name trimmed. The contract requires unit_price, so it is set. */
export function toNewProduct(request: CreateProductRequest): NewProduct {
  return {
    sku: request.sku,
    name: request.name.trim(),
    price: toPrice(request.unitPrice as Money),
    initialQuantity: request.initialQuantity,
  };
}

export function validateUpdateProduct(request: UpdateProductRequest): ProductChanges {
  // A request that changes nothing is almost certainly a client bug (a
  // misspelt JSON field in grpcurl is silently dropped); say so.
  if (request.name === undefined && request.unitPrice === undefined) {
    throw createValidationError([
      { field: 'name', description: 'name or unit_price must be set: there is nothing to update' },
    ]);
  }
  const changes: ProductChanges = { sku: request.sku };
  if (request.name !== undefined) changes.name = request.name.trim();
  if (request.unitPrice !== undefined) changes.price = toPrice(request.unitPrice);
  return changes;
}

/**
 * Out-of-range page sizes are refused by the contract rather than clamped: a
 * caller asking for 500 who silently gets 100 may take the short page for the
 * end of the list. Here 0 becomes the default, and the token its sku.
 */
export function validateListProducts(request: ListProductsRequest): PageRequest {
  let afterSku: string | undefined;
  if (request.pageToken !== '') {
    afterSku = decodePageToken(request.pageToken);
    if (afterSku === undefined || !limits.skuPattern.test(afterSku)) {
      throw createValidationError([
        {
          field: 'page_token',
          description: 'is not a token from a previous ListProducts response',
        },
      ]);
    }
  }
  return { pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize, afterSku };
}

/** The requested lines, each sku once (see requireEachSkuOnce for why). */
export function validateStockItems(items: readonly StockItem[]): RequestedItem[] {
  return requireEachSkuOnce(items);
}
