/**
 * The rules the order API enforces, in one place so the validators, the error
 * messages and the tests agree.
 */
export const orderLimits = {
  maxLines: 100,
  maxQuantityPerLine: 1_000,
  /**
   * The inventory's sku rule, repeated because apps do not import each other:
   * checking here means a malformed sku is refused before any stock is touched.
   */
  skuPattern: /^[A-Z0-9][A-Z0-9-]{1,31}$/,
  skuRule: 'must be 2-32 characters of A-Z, 0-9 and "-", starting with a letter or digit',
  idempotencyKeyPattern: /^[A-Za-z0-9_.:-]{1,128}$/,
  idempotencyKeyRule: 'must be 1-128 characters of letters, digits, "_", "-", "." and ":"',
  orderIdPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  defaultPageSize: 20,
  maxPageSize: 100,
} as const;
