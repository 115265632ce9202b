import {
  MAX_ORDER_LINES,
  MAX_QUANTITY_PER_LINE,
  SKU_PATTERN,
  SKU_RULE,
} from '@switchboard/contracts';

/**
 * The rules the order API enforces, in one place so the validators, the error
 * messages and the tests agree. Those the consumers of OrderPlaced check
 * again come from the contracts, so the two sides cannot disagree.
 */
export const orderLimits = {
  maxLines: MAX_ORDER_LINES,
  maxQuantityPerLine: MAX_QUANTITY_PER_LINE,
  /**
   * The inventory's sku rule, from the contracts: checking here means a
   * malformed sku is refused before any stock is touched.
   */
  skuPattern: SKU_PATTERN,
  skuRule: SKU_RULE,
  idempotencyKeyPattern: /^[A-Za-z0-9_.:-]{1,128}$/,
  idempotencyKeyRule: 'must be 1-128 characters of letters, digits, "_", "-", "." and ":"',
  orderIdPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  defaultPageSize: 20,
  maxPageSize: 100,
} as const;
