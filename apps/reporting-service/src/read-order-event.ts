import type { OrderCancelled, OrderPlaced } from '@switchboard/contracts';
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

const CURRENCY = /^[A-Z]{3}$/;

/**
 * Reads OrderPlaced or OrderCancelled (they carry the same order facts) and
 * refuses an order whose numbers do not add up: revenue is computed from the
 * lines, and a total that disagrees means one of the two is wrong, so neither
 * is trusted.
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
  else if (!CURRENCY.test(currencyCode))
    problems.push(`total.currency_code "${currencyCode}" is not an ISO 4217 code`);

  if (message.lines.length === 0) problems.push('lines is empty');
  const lines: OrderLineFacts[] = [];
  let units = 0n;
  let revenueMinor = 0n;
  message.lines.forEach((line, i) => {
    const at = `lines[${i}]`;
    if (line.sku === '') problems.push(`${at}.sku is empty`);
    if (!(line.quantity > 0)) problems.push(`${at}.quantity must be positive`);
    const price = line.unitPrice;
    if (price === undefined) {
      problems.push(`${at}.unit_price is missing`);
      return;
    }
    if (price.currencyCode !== currencyCode)
      problems.push(`${at}.unit_price is in ${price.currencyCode}, the total in ${currencyCode}`);
    if (price.amountMinor < 0n) problems.push(`${at}.unit_price is negative`);
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
