import {
  CURRENCY_CODE_PATTERN,
  MAX_ORDER_LINES,
  MAX_QUANTITY_PER_LINE,
  MAX_UNIT_PRICE_MINOR,
  type OrderCancelled,
  type OrderPlaced,
} from '@switchboard/contracts';
import { InvalidEventError } from './invalid-event-error';
import { isValidTimestamp, timestampToMicrosIso } from './timestamp-micros';

export interface OrderLineFacts {
  sku: string;
  quantity: number;
  unitPriceMinor: bigint;
}

/** What the report needs of an order, checked once so the store can trust it. */
export interface OrderFacts {
  orderId: string;
  customerId: string;
  currencyCode: string;
  /** Microsecond ISO string, ready for a timestamptz column. */
  placedAt: string;
  lines: OrderLineFacts[];
  units: bigint;
  revenueMinor: bigint;
}

/**
 * Reads OrderPlaced or OrderCancelled (they carry the same order facts) and
 * refuses an order whose numbers do not add up: revenue is computed from the
 * lines, and a total that disagrees means one of the two is wrong, so neither
 * is trusted. It also refuses numbers the order API could never have
 * accepted (line count, quantities, unit prices, from the contracts): they
 * would only get here forged or from a bug, and one absurd order would
 * swamp, or overflow, every sum of the report.
 */
export function readOrderEvent(message: OrderPlaced | OrderCancelled): OrderFacts {
  const problems: string[] = [];
  if (message.orderId === '') problems.push('order_id is empty');
  if (message.customerId === '') problems.push('customer_id is empty');
  const { placedAt } = message;
  if (placedAt === undefined) problems.push('placed_at is missing');
  else if (!isValidTimestamp(placedAt)) problems.push('placed_at is out of range');

  const currencyCode = message.total?.currencyCode ?? '';
  if (message.total === undefined) problems.push('total is missing');
  else if (!CURRENCY_CODE_PATTERN.test(currencyCode))
    problems.push(`total.currency_code "${currencyCode}" is not an ISO 4217 code`);

  if (message.lines.length === 0) problems.push('lines is empty');
  // Past the limit the lines are not even looked at: one problem, not thousands.
  const tooMany = message.lines.length > MAX_ORDER_LINES;
  if (tooMany)
    problems.push(`lines has ${message.lines.length} entries, more than ${MAX_ORDER_LINES}`);
  const lines: OrderLineFacts[] = [];
  let units = 0n;
  let revenueMinor = 0n;
  (tooMany ? [] : message.lines).forEach((line, i) => {
    const at = `lines[${i}]`;
    if (line.sku === '') problems.push(`${at}.sku is empty`);
    if (!(line.quantity >= 1 && line.quantity <= MAX_QUANTITY_PER_LINE))
      problems.push(
        `${at}.quantity ${line.quantity} is not between 1 and ${MAX_QUANTITY_PER_LINE}`,
      );
    const price = line.unitPrice;
    if (price === undefined) {
      problems.push(`${at}.unit_price is missing`);
      return;
    }
    if (price.currencyCode !== currencyCode)
      problems.push(`${at}.unit_price is in ${price.currencyCode}, the total in ${currencyCode}`);
    if (price.amountMinor < 0n) problems.push(`${at}.unit_price is negative`);
    else if (price.amountMinor > MAX_UNIT_PRICE_MINOR)
      problems.push(`${at}.unit_price ${price.amountMinor} is above ${MAX_UNIT_PRICE_MINOR}`);
    lines.push({ sku: line.sku, quantity: line.quantity, unitPriceMinor: price.amountMinor });
    units += BigInt(line.quantity);
    revenueMinor += BigInt(line.quantity) * price.amountMinor;
  });
  if (
    message.total !== undefined &&
    problems.length === 0 &&
    message.total.amountMinor !== revenueMinor
  )
    problems.push(`total ${message.total.amountMinor} differs from the lines' sum ${revenueMinor}`);

  if (problems.length > 0 || placedAt === undefined)
    throw new InvalidEventError(message.$typeName, problems);
  return {
    orderId: message.orderId,
    customerId: message.customerId,
    currencyCode,
    placedAt: timestampToMicrosIso(placedAt, 'floor'),
    lines,
    units,
    revenueMinor,
  };
}
