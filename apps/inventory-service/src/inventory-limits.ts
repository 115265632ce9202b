/**
 * The rules the inventory API enforces, in one place so the validators, the
 * error messages and the tests agree.
 */
export const inventoryLimits = {
  /** Upper-case, so "cof-eth-250" and "COF-ETH-250" can never be two products. */
  skuPattern: /^[A-Z0-9][A-Z0-9-]{1,31}$/,
  skuRule: 'must be 2-32 characters of A-Z, 0-9 and "-", starting with a letter or digit',
  nameMaxChars: 120,
  currencyPattern: /^[A-Z]{3}$/,
  /** 10,000,000.00 in a two-decimal currency: far above any product, far below int64 trouble. */
  maxPriceMinor: 1_000_000_000n,
  /** On-hand stock of one product; also bounds a single AdjustStock delta. */
  maxStock: 1_000_000,
  maxItemsPerRequest: 100,
  maxQuantityPerItem: 1_000,
  defaultPageSize: 20,
  maxPageSize: 100,
  /** Caller-chosen (the order service sends the order id), so loose but bounded. */
  reservationIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
  /** A user id from auth (a UUID today); bounded so a bad caller cannot store megabytes. */
  customerIdMax: 128,
  reservationIdRule:
    'must be 1-128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit',
} as const;
