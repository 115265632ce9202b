// A database written before the sales aggregates existed: after migration
// 0003 it must report exactly what it held, with lines moved into the orders.
import { createStorage, sql, type Storage } from '@switchboard/storage';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';
import { migrations } from './migrations';
import { querySalesReport } from './query-sales-report';
import { readOrderEvent } from './read-order-event';
import { recordOrderCancelled } from './record-order';
import type { ReportingDatabase } from './reporting-schema';
import { orderCancelled, orderPlaced } from './testing/reporting-events';
import { testLogger } from './testing/reporting-test-harness';

const before = Object.fromEntries(
  Object.entries(migrations).filter(([name]) => name < '0003'),
) as typeof migrations;

describe('migration 0003 on a database with orders', () => {
  let database: TestDatabase;
  let storage: Storage<ReportingDatabase> | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('reporting');
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });

  const open = (set: typeof migrations) =>
    createStorage<ReportingDatabase>({
      service: 'reporting',
      serviceDatabaseUrl: database.url,
      migrations: set,
      logger: testLogger(),
    });

  it('fills the aggregates and the line arrays from the rows, and the report is unchanged', async () => {
    const old = await open(before);
    try {
      // As the earlier code stored them: one row per order, one per line.
      await sql`
        insert into orders (order_id, customer_id, currency_code, placed_at, units, revenue_minor, status, cancelled_at)
        values ('o1', 'ann', 'EUR', '2024-05-01T10:00:00Z', 3, 250, 'placed', null),
               ('o2', 'bob', 'EUR', '2024-05-01T23:00:00Z', 1, 100, 'placed', null),
               ('o3', 'ann', 'EUR', '2024-05-02T01:00:00Z', 5, 250, 'cancelled', '2024-05-02T02:00:00Z'),
               ('o4', 'ann', 'USD', '2024-05-02T02:00:00Z', 3, 210, 'placed', null),
               ('o5', 'cy',  'EUR', '2024-05-02T09:30:00Z', 2, 200, 'placed', null)`.execute(
        old.db,
      );
      await sql`
        insert into order_lines (order_id, position, sku, quantity, unit_price_minor)
        values ('o1', 0, 'A', 2, 100), ('o1', 1, 'B', 1, 50),
               ('o2', 0, 'A', 1, 100),
               ('o3', 0, 'B', 5, 50),
               ('o4', 0, 'A', 3, 70),
               ('o5', 0, 'B', 1, 100), ('o5', 1, 'A', 1, 100)`.execute(old.db);
    } finally {
      await old.close();
    }

    storage = await open(migrations);
    const db = storage.db;
    const days = await sql<{ c: string; d: string; n: string; u: string; r: string }>`
      select currency_code as c, to_char(day at time zone 'UTC', 'YYYY-MM-DD') as d,
             order_count::text as n, units::text as u, revenue_minor::text as r
        from sales_days order by 1, 2`.execute(db);
    expect(days.rows).toEqual([
      { c: 'EUR', d: '2024-05-01', n: '2', u: '4', r: '350' },
      { c: 'EUR', d: '2024-05-02', n: '1', u: '2', r: '200' },
      { c: 'USD', d: '2024-05-02', n: '1', u: '3', r: '210' },
    ]);
    const products = await sql<{ c: string; d: string; s: string; u: string; r: string }>`
      select currency_code as c, to_char(day at time zone 'UTC', 'YYYY-MM-DD') as d, sku as s,
             units::text as u, revenue_minor::text as r
        from sales_product_days order by 1, 2, 3`.execute(db);
    expect(products.rows).toEqual([
      { c: 'EUR', d: '2024-05-01', s: 'A', u: '3', r: '300' },
      { c: 'EUR', d: '2024-05-01', s: 'B', u: '1', r: '50' },
      { c: 'EUR', d: '2024-05-02', s: 'A', u: '1', r: '100' },
      { c: 'EUR', d: '2024-05-02', s: 'B', u: '1', r: '100' },
      { c: 'USD', d: '2024-05-02', s: 'A', u: '3', r: '210' },
    ]);
    const customers = await sql<{ c: string; d: string; id: string; n: string; r: string }>`
      select currency_code as c, to_char(day at time zone 'UTC', 'YYYY-MM-DD') as d,
             customer_id as id, order_count::text as n, revenue_minor::text as r
        from sales_customer_days order by 1, 2, 3`.execute(db);
    expect(customers.rows).toEqual([
      { c: 'EUR', d: '2024-05-01', id: 'ann', n: '1', r: '250' },
      { c: 'EUR', d: '2024-05-01', id: 'bob', n: '1', r: '100' },
      { c: 'EUR', d: '2024-05-02', id: 'cy', n: '1', r: '200' },
      { c: 'USD', d: '2024-05-02', id: 'ann', n: '1', r: '210' },
    ]);
    const lines = await sql<{ id: string; skus: string; q: string; p: string }>`
      select order_id as id, line_skus::text as skus, line_quantities::text as q,
             line_unit_prices_minor::text as p
        from orders order by 1`.execute(db);
    expect(lines.rows).toEqual([
      { id: 'o1', skus: '{A,B}', q: '{2,1}', p: '{100,50}' },
      { id: 'o2', skus: '{A}', q: '{1}', p: '{100}' },
      { id: 'o3', skus: '{B}', q: '{5}', p: '{50}' },
      { id: 'o4', skus: '{A}', q: '{3}', p: '{70}' },
      { id: 'o5', skus: '{B,A}', q: '{1,1}', p: '{100,100}' },
    ]);

    // A whole-day range and one whose bounds cut both days.
    const whole = await querySalesReport(db, {
      currency: 'EUR',
      from: '2024-05-01T00:00:00.000000Z',
      to: '2024-05-03T00:00:00.000000Z',
      limit: 10,
    });
    const partial = await querySalesReport(db, {
      currency: 'EUR',
      from: '2024-05-01T12:00:00.000000Z',
      to: '2024-05-02T09:30:00.000001Z',
      limit: 10,
    });
    const figures = (r: typeof whole) => ({
      totals: [r.totals.orderCount, r.totals.unitsSold, r.totals.revenueMinor].map(String),
      products: r.products.map((p) => [p.sku, String(p.unitsSold), String(p.revenueMinor)]),
      customers: r.customers.map((c) => [
        c.customerId,
        String(c.orderCount),
        String(c.revenueMinor),
      ]),
    });
    // ann's o1 is the one order outside the partial range, and the one cancelled below.
    const withoutO1 = {
      totals: ['2', '3', '300'],
      products: [
        ['A', '2', '200'],
        ['B', '1', '100'],
      ],
      customers: [
        ['cy', '1', '200'],
        ['bob', '1', '100'],
      ],
    };
    expect(figures(whole)).toEqual({
      totals: ['3', '6', '550'],
      products: [
        ['A', '4', '400'],
        ['B', '2', '150'],
      ],
      customers: [
        ['ann', '1', '250'],
        ['cy', '1', '200'],
        ['bob', '1', '100'],
      ],
    });
    expect(figures(partial)).toEqual(withoutO1);

    // A cancellation after the upgrade takes the migrated order out exactly.
    const o1 = orderPlaced({
      orderId: 'o1',
      customerId: 'ann',
      placedAt: new Date('2024-05-01T10:00:00Z'),
      lines: [
        { sku: 'A', quantity: 2, priceMinor: 100 },
        { sku: 'B', quantity: 1, priceMinor: 50 },
      ],
    });
    expect(
      await recordOrderCancelled(db, 'o1', '2024-05-03T00:00:00Z', () =>
        readOrderEvent(orderCancelled(o1)),
      ),
    ).toBe('cancelled');
    expect(figures(await querySalesReport(db, { currency: 'EUR', limit: 10 }))).toEqual(withoutO1);
  });
});
