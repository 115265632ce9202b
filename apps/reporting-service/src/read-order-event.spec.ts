import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema } from '@switchboard/contracts';
import { InvalidEventError } from './invalid-event-error';
import { readOrderEvent } from './read-order-event';
import { orderCancelled, orderPlaced } from './testing/reporting-events';

const placedAt = new Date('2024-03-02T12:00:00.250Z');

function problemsOf(read: () => unknown): readonly string[] {
  try {
    read();
  } catch (err) {
    if (err instanceof InvalidEventError) return err.problems;
    throw err;
  }
  throw new Error('expected the event to be refused');
}

describe('readOrderEvent', () => {
  it('adds up units and revenue from the lines', () => {
    const event = orderPlaced({
      orderId: 'o-1',
      customerId: 'c-1',
      placedAt,
      lines: [
        { sku: 'A', quantity: 2, priceMinor: 1250 },
        { sku: 'B', quantity: 3, priceMinor: 99 },
      ],
    });
    expect(readOrderEvent(event)).toEqual({
      orderId: 'o-1',
      customerId: 'c-1',
      currencyCode: 'EUR',
      placedAt: '2024-03-02T12:00:00.250000Z',
      lines: [
        { sku: 'A', quantity: 2, unitPriceMinor: 1250n },
        { sku: 'B', quantity: 3, unitPriceMinor: 99n },
      ],
      units: 5n,
      revenueMinor: 2797n,
    });
  });

  it('reads a cancellation the same way', () => {
    const placed = orderPlaced({
      orderId: 'o-2',
      customerId: 'c-1',
      placedAt,
      lines: [{ sku: 'A', quantity: 1, priceMinor: 500 }],
    });
    expect(readOrderEvent(orderCancelled(placed))).toEqual(readOrderEvent(placed));
  });

  it('refuses an event without the order (as other suites publish on the shared topic)', () => {
    const bare = create(OrderPlacedSchema, { orderId: 'o-3', customerId: 'c-1' });
    expect(problemsOf(() => readOrderEvent(bare))).toEqual([
      'placed_at is missing',
      'total is missing',
      'lines is empty',
    ]);
  });

  it('refuses lines that cannot be counted', () => {
    const event = orderPlaced({
      customerId: '',
      placedAt,
      lines: [
        { sku: '', quantity: 0, priceMinor: 100 },
        { sku: 'B', quantity: 1, priceMinor: -5 },
      ],
    });
    expect(problemsOf(() => readOrderEvent(event))).toEqual([
      'customer_id is empty',
      'lines[0].sku is empty',
      'lines[0].quantity 0 is not between 1 and 1000',
      'lines[1].unit_price is negative',
    ]);
  });

  it('refuses what the order API never accepts: too many lines, quantities, unit prices', () => {
    const absurd = orderPlaced({
      customerId: 'c-1',
      placedAt,
      lines: [
        { sku: 'A', quantity: 2 ** 31 - 1, priceMinor: 1 },
        { sku: 'B', quantity: 1_001, priceMinor: 1 },
        { sku: 'C', quantity: 1, priceMinor: 1_000_000_001 },
        { sku: 'D', quantity: 1_000, priceMinor: 1_000_000_000 },
      ],
    });
    expect(problemsOf(() => readOrderEvent(absurd))).toEqual([
      'lines[0].quantity 2147483647 is not between 1 and 1000',
      'lines[1].quantity 1001 is not between 1 and 1000',
      'lines[2].unit_price 1000000001 is above 1000000000',
    ]);
    const many = orderPlaced({
      customerId: 'c-1',
      placedAt,
      lines: Array.from({ length: 10_000 }, (_, i) => ({
        sku: `S${i}`,
        quantity: 0,
        priceMinor: -1,
      })),
    });
    expect(problemsOf(() => readOrderEvent(many))).toEqual([
      'lines has 10000 entries, more than 100',
    ]);
    // The largest order the API can take is read, and its sum is exact.
    const largest = orderPlaced({
      customerId: 'c-1',
      placedAt,
      lines: Array.from({ length: 100 }, (_, i) => ({
        sku: `S${i}`,
        quantity: 1_000,
        priceMinor: 1_000_000_000,
      })),
    });
    expect(readOrderEvent(largest)).toMatchObject({ units: 100_000n, revenueMinor: 10n ** 14n });
  });

  it('refuses a line in another currency than the total', () => {
    const event = orderPlaced({
      customerId: 'c-1',
      placedAt,
      lines: [{ sku: 'A', quantity: 1, priceMinor: 100 }],
    });
    event.lines[0]!.unitPrice!.currencyCode = 'USD';
    expect(problemsOf(() => readOrderEvent(event))).toEqual([
      'lines[0].unit_price is in USD, the total in EUR',
    ]);
  });

  it('refuses a total that disagrees with its lines', () => {
    const event = orderPlaced({
      customerId: 'c-1',
      placedAt,
      lines: [{ sku: 'A', quantity: 2, priceMinor: 100 }],
    });
    event.total!.amountMinor = 150n;
    expect(problemsOf(() => readOrderEvent(event))).toEqual([
      "total 150 differs from the lines' sum 200",
    ]);
  });
});
