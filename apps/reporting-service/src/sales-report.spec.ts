// GetSalesReport over a real socket, with the store
// filled directly (the Kafka path has its own specs): bounds, days, rankings,
// names, currency.
import { create } from '@bufbuild/protobuf';
import { TimestampSchema, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { readOrderEvent } from './read-order-event';
import { recordCustomerName, recordProductName } from './record-names';
import { recordOrderCancelled, recordOrdersPlaced } from './record-order';
import { orderCancelled, orderPlaced, type OrderSpec } from './testing/reporting-events';
import {
  as,
  failure,
  openReportingStore,
  startReportingTestService,
  type ReportingStore,
  type ReportingTestService,
} from './testing/reporting-test-harness';

const at = (iso: string) => timestampFromDate(new Date(iso));
const eur = (amountMinor: bigint) => ({ currencyCode: 'EUR', amountMinor });

const orders: (OrderSpec & { orderId: string; cancelled?: boolean })[] = [
  {
    orderId: 'o1',
    customerId: 'c-1',
    placedAt: new Date('2024-03-01T23:59:59.999Z'),
    lines: [{ sku: 'A', quantity: 2, priceMinor: 1000 }],
  },
  {
    orderId: 'o2',
    customerId: 'c-2',
    placedAt: new Date('2024-03-02T00:00:00.000Z'),
    lines: [
      { sku: 'B', quantity: 1, priceMinor: 500 },
      { sku: 'A', quantity: 1, priceMinor: 1000 },
    ],
  },
  {
    orderId: 'o3',
    customerId: 'c-1',
    placedAt: new Date('2024-03-02T12:00:00.000Z'),
    lines: [{ sku: 'C', quantity: 3, priceMinor: 700 }],
  },
  {
    orderId: 'o4',
    customerId: 'c-3',
    placedAt: new Date('2024-03-03T08:30:00.000Z'),
    lines: [{ sku: 'B', quantity: 4, priceMinor: 500 }],
  },
  {
    orderId: 'o5',
    customerId: 'c-2',
    placedAt: new Date('2024-03-02T10:00:00.000Z'),
    lines: [{ sku: 'A', quantity: 10, priceMinor: 1000 }],
    cancelled: true,
  },
  {
    orderId: 'o6',
    customerId: 'c-1',
    placedAt: new Date('2024-03-02T11:00:00.000Z'),
    lines: [{ sku: 'A', quantity: 1, priceMinor: 99_999 }],
    currency: 'USD',
  },
  {
    orderId: 'o7',
    customerId: 'c-4',
    placedAt: new Date('2024-03-04T00:00:00.000Z'),
    lines: [{ sku: 'D', quantity: 1, priceMinor: 2000 }],
  },
];

describe('GetSalesReport', () => {
  let store: ReportingStore;
  let t: ReportingTestService;

  beforeAll(async () => {
    store = await openReportingStore();
    const db = store.storage.db;
    for (const spec of orders) {
      const placed = orderPlaced(spec);
      await recordOrdersPlaced(db, [readOrderEvent(placed)]);
      if (spec.cancelled) {
        const cancelled = orderCancelled(placed);
        await recordOrderCancelled(db, spec.orderId, '2024-03-05T00:00:00Z', () =>
          readOrderEvent(cancelled),
        );
      }
    }
    await recordProductName(db, { sku: 'A', name: 'Alpha', updatedAt: null });
    await recordProductName(db, { sku: 'B', name: 'Bravo', updatedAt: null });
    await recordCustomerName(db, { customerId: 'c-1', displayName: 'Alice', registeredAt: null });
    await recordCustomerName(db, { customerId: 'c-2', displayName: 'Bob', registeredAt: null });
    t = await startReportingTestService(store, { topLimit: 3 });
  });
  afterAll(async () => {
    await t?.stop();
    await store?.dispose();
  });

  const report = (from?: string, to?: string) =>
    t.client.getSalesReport(
      {
        from: from === undefined ? undefined : at(from),
        to: to === undefined ? undefined : at(to),
      },
      as.admin,
    );

  it('adds up every placed order in the currency when both bounds are open', async () => {
    const res = await report();
    expect(res.orderCount).toBe(5n);
    expect(res.unitsSold).toBe(12n);
    expect(res.revenue).toMatchObject(eur(9600n));
  });

  it('lists the days ascending, at midnight UTC', async () => {
    const res = await report();
    expect(
      res.days.map((d) => [
        timestampDate(d.day!).toISOString(),
        d.orderCount,
        d.unitsSold,
        d.revenue?.amountMinor,
      ]),
    ).toEqual([
      ['2024-03-01T00:00:00.000Z', 1n, 2n, 2000n],
      ['2024-03-02T00:00:00.000Z', 2n, 5n, 3600n],
      ['2024-03-03T00:00:00.000Z', 1n, 4n, 2000n],
      ['2024-03-04T00:00:00.000Z', 1n, 1n, 2000n],
    ]);
  });

  it('ranks products by revenue, names them where known and stops at the limit', async () => {
    const res = await report();
    expect(res.products.map((p) => [p.sku, p.name, p.unitsSold, p.revenue?.amountMinor])).toEqual([
      ['A', 'Alpha', 3n, 3000n],
      ['B', 'Bravo', 5n, 2500n],
      ['C', '', 3n, 2100n],
    ]);
  });

  it('ranks customers by revenue, breaking ties by id', async () => {
    const res = await report();
    expect(
      res.customers.map((c) => [c.customerId, c.displayName, c.orderCount, c.revenue?.amountMinor]),
    ).toEqual([
      ['c-1', 'Alice', 2n, 4100n],
      ['c-3', '', 1n, 2000n],
      ['c-4', '', 1n, 2000n],
    ]);
  });

  it('includes an order placed exactly at from and excludes one exactly at to', async () => {
    const res = await report('2024-03-02T00:00:00Z', '2024-03-04T00:00:00Z');
    expect(res.orderCount).toBe(3n); // o2, o3, o4; not o1 (a millisecond early) nor o7 (at to)
    expect(res.revenue?.amountMinor).toBe(1500n + 2100n + 2000n);
  });

  it('cuts days at bounds that are not midnight, by the time each order was placed', async () => {
    const res = await report('2024-03-02T06:00:00Z', '2024-03-03T09:00:00Z');
    expect(res.days.map((d) => [timestampDate(d.day!).toISOString(), d.orderCount])).toEqual([
      ['2024-03-02T00:00:00.000Z', 1n], // o3 only: o2 was placed before 06:00
      ['2024-03-03T00:00:00.000Z', 1n],
    ]);
    expect(res.customers.map((c) => c.customerId)).toEqual(['c-1', 'c-3']);
  });

  it('leaves either bound open when unset', async () => {
    expect((await report(undefined, '2024-03-02T00:00:00Z')).orderCount).toBe(1n);
    expect((await report('2024-03-03T00:00:00Z')).orderCount).toBe(2n);
  });

  it('compares bounds below the millisecond exactly', async () => {
    const o3 = at('2024-03-02T12:00:00Z');
    const shifted = (nanos: number) => create(TimestampSchema, { seconds: o3.seconds, nanos });
    const count = async (from: number | undefined, to: number | undefined) =>
      (
        await t.client.getSalesReport(
          {
            from: from === undefined ? at('2024-03-02T06:00:00Z') : shifted(from),
            to: to === undefined ? at('2024-03-02T18:00:00Z') : shifted(to),
          },
          as.admin,
        )
      ).orderCount;
    expect(await count(0, undefined)).toBe(1n);
    expect(await count(500_000, undefined)).toBe(0n); // half a millisecond after o3
    expect(await count(1, undefined)).toBe(0n); // even one nanosecond after it
    expect(await count(undefined, 1)).toBe(1n);
    expect(await count(undefined, 0)).toBe(0n);
  });

  it('covers the whole range a Timestamp can hold', async () => {
    const res = await t.client.getSalesReport(
      {
        from: create(TimestampSchema, { seconds: -62_135_596_800n, nanos: 0 }),
        to: create(TimestampSchema, { seconds: 253_402_300_799n, nanos: 999_999_999 }),
      },
      as.admin,
    );
    expect(res.orderCount).toBe(5n);
  });

  it('answers an empty range with zeros in the report currency', async () => {
    const res = await report('2024-03-02T12:00:00Z', '2024-03-02T12:00:00Z');
    expect(res).toMatchObject({
      orderCount: 0n,
      unitsSold: 0n,
      revenue: eur(0n),
      days: [],
      products: [],
      customers: [],
    });
  });

  it('refuses from after to', async () => {
    const err = await failure(report('2024-03-03T00:00:00Z', '2024-03-02T00:00:00Z'));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('from: must not be after to');
  });

  it('refuses a timestamp outside what the protobuf spec allows', async () => {
    const err = await failure(
      t.client.getSalesReport(
        { to: create(TimestampSchema, { seconds: 0n, nanos: 1_000_000_000 }) },
        as.admin,
      ),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toContain('to: must be a valid timestamp');
  });

  it('reports in the configured currency only', async () => {
    const usd = await startReportingTestService(store, { currency: 'USD' });
    try {
      const res = await usd.client.getSalesReport({}, as.admin);
      expect(res.orderCount).toBe(1n);
      expect(res.revenue).toMatchObject({ currencyCode: 'USD', amountMinor: 99_999n });
      expect(res.products.map((p) => [p.sku, p.revenue?.currencyCode])).toEqual([['A', 'USD']]);
    } finally {
      await usd.stop();
    }
  });
});
