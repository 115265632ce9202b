// recordOrdersPlaced writes a run of orders with a few statements; these
// check that doing so in one call keeps every per-order rule of the one-by-one
// path.
import { sql } from '@switchboard/storage';
import { readOrderEvent } from './read-order-event';
import { recordOrderCancelled, recordOrdersPlaced } from './record-order';
import { orderCancelled, orderPlaced } from './testing/reporting-events';
import { openReportingStore, type ReportingStore } from './testing/reporting-test-harness';

const placedAt = new Date('2024-05-01T10:00:00Z');
const facts = (orderId: string, lines: { sku: string; quantity: number; priceMinor: number }[]) =>
  readOrderEvent(orderPlaced({ orderId, customerId: 'c-1', placedAt, lines }));

describe('recordOrdersPlaced', () => {
  let store: ReportingStore;

  beforeEach(async () => {
    store = await openReportingStore();
  });
  afterEach(async () => {
    await store.dispose();
  });

  it('records new orders, keeps the first copy of an order id and counts nothing twice', async () => {
    const db = store.storage.db;
    // Cancelled before its OrderPlaced arrives: the cancellation leaves a cancelled row.
    const early = orderPlaced({
      orderId: 'o-early',
      customerId: 'c-1',
      placedAt,
      lines: [{ sku: 'E', quantity: 1, priceMinor: 100 }],
    });
    await recordOrderCancelled(db, 'o-early', '2024-05-01T11:00:00Z', () =>
      readOrderEvent(orderCancelled(early)),
    );
    await recordOrdersPlaced(db, [facts('o-known', [{ sku: 'K', quantity: 1, priceMinor: 10 }])]);

    const outcomes = await recordOrdersPlaced(db, [
      facts('o-a', [
        { sku: 'A', quantity: 2, priceMinor: 300 },
        { sku: 'B', quantity: 1, priceMinor: 50 },
      ]),
      facts('o-b', [{ sku: 'B', quantity: 5, priceMinor: 50 }]),
      // A re-publish of o-a within the same run, with different lines: ignored.
      facts('o-a', [{ sku: 'Z', quantity: 9, priceMinor: 999 }]),
      readOrderEvent(early),
      facts('o-known', [{ sku: 'K', quantity: 7, priceMinor: 10 }]),
    ]);

    expect(outcomes).toEqual([
      'recorded',
      'recorded',
      'already-recorded',
      'cancelled-earlier',
      'already-recorded',
    ]);
    const orders = await db
      .selectFrom('orders')
      .select(['order_id', 'status', 'units', 'revenue_minor'])
      .orderBy('order_id')
      .execute();
    expect(orders).toEqual([
      { order_id: 'o-a', status: 'placed', units: 3n, revenue_minor: 650n },
      { order_id: 'o-b', status: 'placed', units: 5n, revenue_minor: 250n },
      { order_id: 'o-early', status: 'cancelled', units: 1n, revenue_minor: 100n },
      { order_id: 'o-known', status: 'placed', units: 1n, revenue_minor: 10n },
    ]);
    const lines = await db
      .selectFrom('orders')
      .select(['order_id', 'line_skus', 'line_quantities'])
      .orderBy('order_id')
      .execute();
    expect(lines).toEqual([
      { order_id: 'o-a', line_skus: ['A', 'B'], line_quantities: [2, 1] },
      { order_id: 'o-b', line_skus: ['B'], line_quantities: [5] },
      { order_id: 'o-early', line_skus: ['E'], line_quantities: [1] },
      { order_id: 'o-known', line_skus: ['K'], line_quantities: [1] },
    ]);
    // Prices, read as text so both drivers agree on the form.
    const prices = await sql<{ order_id: string; prices: string }>`
      select order_id, line_unit_prices_minor::text as prices from orders order by order_id`.execute(
      db,
    );
    expect(prices.rows).toEqual([
      { order_id: 'o-a', prices: '{300,50}' },
      { order_id: 'o-b', prices: '{50}' },
      { order_id: 'o-early', prices: '{100}' },
      { order_id: 'o-known', prices: '{10}' },
    ]);
  });

  it('writes nothing for an empty run', async () => {
    expect(await recordOrdersPlaced(store.storage.db, [])).toEqual([]);
    expect(await store.storage.db.selectFrom('orders').selectAll().execute()).toEqual([]);
  });
});
