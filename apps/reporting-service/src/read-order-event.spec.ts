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
      'lines[0].quantity must be positive',
      'lines[1].unit_price is negative',
    ]);
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
