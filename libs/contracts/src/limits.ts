/**
 * Bounds that a producing service's API enforces and that the services
 * consuming its events check again. An event is only as trustworthy as
 * whatever could write to its topic, so a consumer refuses what the API would
 * have refused. The API states them as buf.validate rules in the protos;
 * libs/rpc/src/contract-limits.spec.ts keeps these constants equal to those rules.
 */

/** Upper-case, so "cof-eth-250" and "COF-ETH-250" can never be two products. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

/** ISO 4217 alphabetic codes: three upper-case letters. */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;

/**
 * 10,000,000.00 in a two-decimal currency: far above any product, and small
 * enough that the largest order (MAX_ORDER_LINES × MAX_QUANTITY_PER_LINE ×
 * this, 10^14) and the sum of a billion such orders stay inside int64.
 */
export const MAX_UNIT_PRICE_MINOR = 1_000_000_000n;

/** Product names, counted in code points so "Café" is four characters. */
export const PRODUCT_NAME_MAX_CHARS = 120;

/** On-hand stock of one product (and so its available quantity). */
export const MAX_STOCK = 1_000_000;

/** Lines of one order, and items of one inventory request (which an order's lines become). */
export const MAX_ORDER_LINES = 100;

/** Units of one line: a shop's order, not a warehouse transfer. */
export const MAX_QUANTITY_PER_LINE = 1_000;

/** User, post and order ids are UUIDs minted by their services; anything else names nothing. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The longest address SMTP can carry (RFC 5321 path limit minus the brackets). */
export const EMAIL_MAX_CHARS = 254;

/** What fits a notification line or a report row; counted in code points. */
export const DISPLAY_NAME_MAX_CHARS = 64;

/** A post's text after trimming, in code points: room for a paragraph, not an essay. */
export const POST_TEXT_MAX_CHARS = 2_000;

/**
 * Control characters a post may not contain: every one but newline and tab,
 * which people do type; the others corrupt logs, terminals and previews.
 */
export const POST_TEXT_FORBIDDEN_CONTROL = /[^\P{Cc}\n\t]/u;

/** Control characters break logs, terminals and previews; no person types them into a name. */
export const CONTROL_CHARACTER = /\p{Cc}/u;
