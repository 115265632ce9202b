// Runs of events through the real consumer and the real batch handler: the
// aggregates a run leaves behind must equal plain sums of what it carried,
// a run delivered again adds nothing, and a poison record in a run is
// dead-lettered while the rest of the run still counts.
import { randomUUID } from 'node:crypto';
import type { Message } from '@bufbuild/protobuf';
import { topics, type OrderPlaced } from '@switchboard/contracts';
import { deadLetterHeaders, encodeEvent } from '@switchboard/event-bus';
import { querySalesReport } from './query-sales-report';
import {
  DAY_MS,
  orderCancelled,
  orderPlaced,
  privateWindowStart,
  runId,
  testCustomerId,
  testSku,
} from './testing/reporting-events';
import {
  deadLettersOf,
  openReportingStore,
  sourceOf,
  startReportingTestService,
  waitForOrders,
  type ReportingStore,
  type ReportingTestService,
} from './testing/reporting-test-harness';

type Line = { sku: string; quantity: number; priceMinor: number };

interface Sums {
  days: Map<string, [bigint, bigint, bigint]>;
  products: Map<string, [bigint, bigint]>;
  customers: Map<string, [bigint, bigint]>;
}

/** The aggregates as this test understands them, by plain loops over the orders that count. */
function expectedSums(orders: readonly OrderPlaced[]): Sums {
  const sums: Sums = { days: new Map(), products: new Map(), customers: new Map() };
  for (const o of orders) {
    const currency = o.total!.currencyCode;
    const ms = Number(o.placedAt!.seconds) * 1000 + Math.floor(o.placedAt!.nanos / 1e6);
    const day = new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString();
    let units = 0n;
    let revenue = 0n;
    for (const line of o.lines) {
      const q = BigInt(line.quantity);
      const r = q * line.unitPrice!.amountMinor;
      units += q;
      revenue += r;
      const key = `${currency} ${day} ${line.sku}`;
      const p = sums.products.get(key) ?? [0n, 0n];
      sums.products.set(key, [p[0] + q, p[1] + r]);
    }
    const d = sums.days.get(`${currency} ${day}`) ?? [0n, 0n, 0n];
    sums.days.set(`${currency} ${day}`, [d[0] + 1n, d[1] + units, d[2] + revenue]);
    const ckey = `${currency} ${day} ${o.customerId}`;
    const c = sums.customers.get(ckey) ?? [0n, 0n];
    sums.customers.set(ckey, [c[0] + 1n, c[1] + revenue]);
  }
  return sums;
}

const sortedEntries = <V>(map: Map<string, V>) =>
  [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('runs of events', () => {
  let store: ReportingStore;
  let consumer: ReportingTestService;

  beforeAll(async () => {
    store = await openReportingStore();
    consumer = await startReportingTestService(store);
  }, 120_000);
  afterAll(async () => {
    await consumer?.stop();
    await store?.dispose();
  });

  /** Three days of this test's own, and ids no other test or run shares. */
  function scenario() {
    const start = privateWindowStart().getTime();
    const run = runId();
    const sku = (name: string) => testSku(run, name);
    const customer = (name: string) => testCustomerId(run, name);
    const order = (
      day: number,
      hours: number,
      who: string,
      lines: Line[],
      currency = 'EUR',
    ): OrderPlaced =>
      orderPlaced({
        customerId: customer(who),
        placedAt: new Date(start + day * DAY_MS + hours * 3_600_000),
        lines: lines.map((l) => ({ ...l, sku: sku(l.sku) })),
        currency,
      });
    return { start, end: start + 3 * DAY_MS, order, key: `run-${randomUUID()}` };
  }

  /** What the aggregate tables hold for the days of [start, end), keyed as expectedSums keys them. */
  async function storedSums(start: number, end: number): Promise<Sums> {
    const db = store.storage.db;
    const inWindow = <T extends { day: Date }>(rows: T[]) =>
      rows.filter((r) => r.day.getTime() >= start && r.day.getTime() < end);
    const days = inWindow(await db.selectFrom('sales_days').selectAll().execute());
    const products = inWindow(await db.selectFrom('sales_product_days').selectAll().execute());
    const customers = inWindow(await db.selectFrom('sales_customer_days').selectAll().execute());
    const at = (r: { currency_code: string; day: Date }) =>
      `${r.currency_code} ${r.day.toISOString()}`;
    return {
      days: new Map(
        days
          .filter((r) => r.order_count !== 0n)
          .map((r) => [at(r), [r.order_count, r.units, r.revenue_minor]]),
      ),
      products: new Map(
        products
          .filter((r) => r.units !== 0n)
          .map((r) => [`${at(r)} ${r.sku}`, [r.units, r.revenue_minor]]),
      ),
      customers: new Map(
        customers
          .filter((r) => r.order_count !== 0n)
          .map((r) => [`${at(r)} ${r.customer_id}`, [r.order_count, r.revenue_minor]]),
      ),
    };
  }

  function expectSums(actual: Sums, expected: Sums) {
    expect(sortedEntries(actual.days)).toEqual(sortedEntries(expected.days));
    expect(sortedEntries(actual.products)).toEqual(sortedEntries(expected.products));
    expect(sortedEntries(actual.customers)).toEqual(sortedEntries(expected.customers));
  }

  it('aggregates a run mixing days, products, customers, currencies and cancellations', async () => {
    const s = scenario();
    const counted = [
      s.order(0, 9, 'ann', [
        { sku: 'tea', quantity: 2, priceMinor: 450 },
        { sku: 'mug', quantity: 1, priceMinor: 1200 },
      ]),
      // The same product twice in one order, at two prices, just before midnight.
      s.order(0, 24 - 1 / 3_600_000, 'bob', [
        { sku: 'tea', quantity: 1, priceMinor: 450 },
        { sku: 'tea', quantity: 3, priceMinor: 400 },
      ]),
      s.order(1, 0, 'ann', [{ sku: 'mug', quantity: 1, priceMinor: 1200 }]),
      s.order(1, 12, 'ann', [{ sku: 'tea', quantity: 5, priceMinor: 500 }], 'USD'),
      s.order(2, 10, 'cy', [{ sku: 'cup', quantity: 4, priceMinor: 0 }]),
      s.order(2, 11, 'cy', [{ sku: 'cup', quantity: 1, priceMinor: 99 }], 'USD'),
    ];
    const cancelledLater = s.order(
      2,
      8,
      'cy',
      [{ sku: 'cup', quantity: 7, priceMinor: 99 }],
      'USD',
    );
    const cancelledFirst = s.order(1, 3, 'bob', [{ sku: 'mug', quantity: 2, priceMinor: 1200 }]);
    const repeatedId = randomUUID();
    const events: { event: Message; id?: string }[] = [
      { event: counted[0]!, id: repeatedId },
      { event: orderCancelled(cancelledFirst) },
      { event: counted[1]! },
      { event: cancelledLater },
      { event: counted[0]!, id: repeatedId }, // delivered twice
      { event: counted[2]! },
      { event: counted[2]! }, // re-published under a new id
      { event: counted[3]! },
      { event: cancelledFirst },
      { event: orderCancelled(cancelledLater) },
      { event: counted[4]! },
      { event: counted[5]! },
    ];
    await consumer.publishRun(s.key, events);
    await waitForOrders(
      store.storage,
      new Map([
        ...counted.map((o) => [o.orderId, 'placed'] as const),
        [cancelledLater.orderId, 'cancelled'],
        [cancelledFirst.orderId, 'cancelled'],
      ]),
    );
    await consumer.settleTopic(topics.salesOrders.name);

    expect(consumer.largestBatch()).toBeGreaterThan(1);
    const expected = expectedSums(counted);
    expectSums(await storedSums(s.start, s.end), expected);
    // Each currency reads only its own sums, whole days and partial ones alike.
    for (const currency of ['EUR', 'USD']) {
      const from = s.start + 6 * 3_600_000;
      const to = s.start + 2 * DAY_MS + 10.5 * 3_600_000;
      const report = await querySalesReport(store.storage.db, {
        currency,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        limit: 10,
      });
      const inRange = expectedSums(
        counted.filter((o) => {
          const ms = Number(o.placedAt!.seconds) * 1000;
          return o.total!.currencyCode === currency && ms >= from && ms < to;
        }),
      );
      expect(
        report.days.map((d) => [
          `${currency} ${d.day.toISOString()}`,
          [BigInt(d.orderCount), BigInt(d.unitsSold), BigInt(d.revenueMinor)],
        ]),
      ).toEqual(sortedEntries(inRange.days));
      expect(report.totals.orderCount).toBe(
        [...inRange.days.values()].reduce((n, [count]) => n + count, 0n),
      );
    }
  });

  it('adds nothing when a run is delivered again, under the same ids or new ones', async () => {
    const s = scenario();
    const orders = [
      s.order(0, 1, 'ann', [{ sku: 'tea', quantity: 2, priceMinor: 450 }]),
      s.order(0, 2, 'bob', [{ sku: 'tea', quantity: 1, priceMinor: 450 }]),
      s.order(1, 3, 'ann', [{ sku: 'mug', quantity: 1, priceMinor: 1200 }], 'USD'),
    ];
    const events = orders.map((event) => ({ event, id: randomUUID() }));
    await consumer.publishRun(s.key, events);
    await waitForOrders(store.storage, new Map(orders.map((o) => [o.orderId, 'placed'] as const)));
    const expected = expectedSums(orders);
    expectSums(await storedSums(s.start, s.end), expected);

    // The same records again (as after a crash before the offsets were
    // committed), then the same orders under new ids (a producer's retry).
    await consumer.publishRun(s.key, events);
    await consumer.publishRun(
      s.key,
      orders.map((event) => ({ event })),
    );
    await consumer.settleTopic(topics.salesOrders.name);
    expectSums(await storedSums(s.start, s.end), expected);
    expect(consumer.status().duplicates).toBeGreaterThanOrEqual(events.length);
  });

  it('dead-letters a poison record of a run and commits the rest of the run', async () => {
    const s = scenario();
    const good = [
      s.order(0, 1, 'ann', [{ sku: 'tea', quantity: 2, priceMinor: 450 }]),
      s.order(0, 2, 'bob', [{ sku: 'mug', quantity: 1, priceMinor: 1200 }]),
      s.order(0, 3, 'cy', [{ sku: 'tea', quantity: 1, priceMinor: 450 }]),
    ];
    // Its total disagrees with its lines: no retry can apply it.
    const wrongTotal = s.order(0, 4, 'ann', [{ sku: 'tea', quantity: 1, priceMinor: 450 }]);
    wrongTotal.total!.amountMinor = 1n;
    const poisonId = randomUUID();
    // Bytes that do not decode as the type they claim.
    const garbage = encodeEvent(good[0]!, {
      registry: consumer.bus.registry,
      source: sourceOf(consumer.bus, good[0]!),
    });
    const garbageRecord = { ...garbage, value: new Uint8Array([0xff, 0xff, 0xff, 0xff]) };

    await consumer.publishRun(s.key, [
      { event: good[0]! },
      { event: good[1]! },
      { event: wrongTotal, id: poisonId },
      { raw: garbageRecord },
      { event: good[2]! },
    ]);
    await waitForOrders(store.storage, new Map(good.map((o) => [o.orderId, 'placed'] as const)));

    const letters = await deadLettersOf(consumer, topics.salesOrders.name, [poisonId, garbage.id]);
    expect(letters.get(poisonId)!.headers[deadLetterHeaders.error]).toContain('differs from');
    expect(letters.get(garbage.id)!.headers[deadLetterHeaders.attempts]).toBe('0');
    const known = await store.storage.db
      .selectFrom('orders')
      .select('order_id')
      .where('order_id', '=', wrongTotal.orderId)
      .execute();
    expect(known).toEqual([]);
    expectSums(await storedSums(s.start, s.end), expectedSums(good));
  });
});
