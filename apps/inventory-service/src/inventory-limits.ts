import {
  CURRENCY_CODE_PATTERN,
  MAX_ORDER_LINES,
  MAX_QUANTITY_PER_LINE,
  MAX_STOCK,
  MAX_UNIT_PRICE_MINOR,
  PRODUCT_NAME_MAX_CHARS,
  SKU_PATTERN,
  SKU_RULE,
} from '@switchboard/contracts';

/**
 * The rules the inventory API enforces, in one place so the validators, the
 * error messages and the tests agree. Those the consumers of ProductUpserted
 * (and of the orders built from reservations) check again come from the
 * contracts, so the two sides cannot disagree.
 */
export const inventoryLimits = {
  skuPattern: SKU_PATTERN,
  skuRule: SKU_RULE,
  nameMaxChars: PRODUCT_NAME_MAX_CHARS,
  currencyPattern: CURRENCY_CODE_PATTERN,
  maxPriceMinor: MAX_UNIT_PRICE_MINOR,
  /** On-hand stock of one product; also bounds a single AdjustStock delta. */
  maxStock: MAX_STOCK,
  /** A reservation is an order's lines, so the order's bounds. */
  maxItemsPerRequest: MAX_ORDER_LINES,
  maxQuantityPerItem: MAX_QUANTITY_PER_LINE,
  defaultPageSize: 20,
  maxPageSize: 100,
  /** Caller-chosen (the order service sends the order id), so loose but bounded. */
  reservationIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
  /** A user id from auth (a UUID today); bounded so a bad caller cannot store megabytes. */
  customerIdMax: 128,
  reservationIdRule:
    'must be 1-128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit',
} as const;
