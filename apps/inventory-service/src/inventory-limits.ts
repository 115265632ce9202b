import { MAX_STOCK, PRODUCT_NAME_MAX_CHARS, SKU_PATTERN } from '@switchboard/contracts';

/**
 * The inventory's bounds that code still needs. The request field rules are
 * buf.validate annotations in inventory_service.proto; those the consumers of
 * ProductUpserted check again come from the contracts, so the two sides cannot
 * disagree.
 */
export const inventoryLimits = {
  /** A page token must decode to a well-formed sku. */
  skuPattern: SKU_PATTERN,
  nameMaxChars: PRODUCT_NAME_MAX_CHARS,
  /** On-hand stock of one product: AdjustStock may not push it past this. */
  maxStock: MAX_STOCK,
  /** What page_size 0 means (the contract says so too). */
  defaultPageSize: 20,
} as const;
