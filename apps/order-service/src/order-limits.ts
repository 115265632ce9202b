/**
 * The order service's bounds that code still needs. The request field rules
 * are buf.validate annotations in order_service.proto; the idempotency key is
 * metadata, not a field, so its rule lives here.
 */
export const orderLimits = {
  idempotencyKeyPattern: /^[A-Za-z0-9_.:-]{1,128}$/,
  idempotencyKeyRule: 'must be 1-128 characters of letters, digits, "_", "-", "." and ":"',
  /** What page_size 0 means (the contract says so too). */
  defaultPageSize: 20,
} as const;
