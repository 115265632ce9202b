// "The report is right": a couple of hundred random orders, cancellations,
// duplicates and names go through the real broker; the report must equal what
// this test adds up by itself from the generated data, for several ranges.
import { randomInt, randomUUID } from 'node:crypto';
import type { Message } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { topics, type OrderPlaced } from '@switchboard/contracts';
import {
  DAY_MS,
  orderCancelled,
  orderPlaced,
  privateWindowStart,
  productUpserted,
  runId,
  testCustomerId,
  testSku,
  userRegistered,
} from './testing/reporting-events';
import {
  as,
  backends,
  openReportingStore,
  startReportingTestService,
  waitForOrders,
  waitUntil,
  type ReportingStore,
  type ReportingTestService,
} from './testing/reporting-test-harness';

const ORDERS = 200;
const PRODUCTS = 30;
const CUSTOMERS = 35;
const WINDOW_DAYS = 14;
const TOP = 20;

/** mulberry32: a small seeded generator, so a failing run can be repeated with REPORT_SEED. */
function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
  };
}

interface GeneratedOrder {
  event: OrderPlaced;
  customerId: string;
  placedAtMs: number;
  currency: string;
  lines: { sku: string; quantity: number; priceMinor: number }[];
  cancelled: boolean;
}

interface Expected {
  orderCount: bigint;
  unitsSold: bigint;
  revenue: bigint;
  days: [string, bigint, bigint, bigint][];
  products: [string, string, bigint, bigint][];
  customers: [string, string, bigint, bigint][];
}

/** The report as this test understands it, by plain loops over what it generated. */
function expectedReport(
  orders: readonly GeneratedOrder[],
  productNames: ReadonlyMap<string, string>,
  customerNames: ReadonlyMap<string, string>,
  fromMs: number,
  toMs: number,
): Expected {
  let orderCount = 0n;
  let unitsSold = 0n;
  let revenue = 0n;
  const days = new Map<string, [bigint, bigint, bigint]>();
  const products = new Map<string, [bigint, bigint]>();
  const customers = new Map<string, [bigint, bigint]>();
  for (const o of orders) {
    if (o.cancelled || o.currency !== 'EUR' || o.placedAtMs < fromMs || o.placedAtMs >= toMs)
      continue;
    let orderUnits = 0n;
    let orderRevenue = 0n;
    for (const line of o.lines) {
      const lineRevenue = BigInt(line.quantity) * BigInt(line.priceMinor);
      orderUnits += BigInt(line.quantity);
      orderRevenue += lineRevenue;
      const p = products.get(line.sku) ?? [0n, 0n];
      products.set(line.sku, [p[0] + BigInt(line.quantity), p[1] + lineRevenue]);
    }
    orderCount += 1n;
    unitsSold += orderUnits;
    revenue += orderRevenue;
    const day = new Date(Math.floor(o.placedAtMs / DAY_MS) * DAY_MS).toISOString();
    const d = days.get(day) ?? [0n, 0n, 0n];
    days.set(day, [d[0] + 1n, d[1] + orderUnits, d[2] + orderRevenue]);
    const c = customers.get(o.customerId) ?? [0n, 0n];
    customers.set(o.customerId, [c[0] + 1n, c[1] + orderRevenue]);
  }
  const byRevenueThenId = (a: [string, bigint], b: [string, bigint]) =>
    a[1] !== b[1] ? (a[1] > b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  return {
    orderCount,
    unitsSold,
    revenue,
    days: [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, [n, u, r]]) => [day, n, u, r]),
    products: [...products]
      .map(([sku, [u, r]]) => ({ key: [sku, r] as [string, bigint], u }))
      .sort((a, b) => byRevenueThenId(a.key, b.key))
      .slice(0, TOP)
      .map(({ key: [sku, r], u }) => [sku, productNames.get(sku) ?? '', u, r]),
    customers: [...customers]
      .map(([id, [n, r]]) => ({ key: [id, r] as [string, bigint], n }))
      .sort((a, b) => byRevenueThenId(a.key, b.key))
      .slice(0, TOP)
      .map(({ key: [id, r], n }) => [id, customerNames.get(id) ?? '', n, r]),
  };
}

describe.each(backends)('the report is right on %s', (backend) => {
  let store: ReportingStore;
  let consumer: ReportingTestService;
  let server: ReportingTestService;

  beforeAll(async () => {
    store = await openReportingStore(backend);
    // One service: it applies what the test publishes and answers the report.
    consumer = await startReportingTestService(store, { topLimit: TOP });
    server = consumer;
  }, 120_000);
  afterAll(async () => {
    await consumer?.stop();
    await store?.dispose();
  });

  it(`equals an independent sum over ${ORDERS} random orders, cancellations and duplicates`, async () => {
    const seed = Number(process.env.REPORT_SEED ?? randomInt(2 ** 31));
    const random = createRandom(seed);
    const run = runId();
    const start = privateWindowStart().getTime();
    const skus = Array.from({ length: PRODUCTS }, (_, i) =>
      testSku(run, `p${String(i).padStart(2, '0')}`),
    );
    const customerIds = Array.from({ length: CUSTOMERS }, (_, i) => testCustomerId(run, `c${i}`));
    // Most have names, some never do; names are published before and after the orders.
    const productNames = new Map(
      skus.filter(() => random.chance(0.8)).map((s) => [s, `Product ${s}`]),
    );
    const customerNames = new Map(
      customerIds.filter(() => random.chance(0.8)).map((c) => [c, `Customer ${c}`]),
    );

    // Each order's events in the order its key keeps them; the orders interleave at random.
    const orders: GeneratedOrder[] = [];
    const timelines: { event: Message; id?: string }[][] = [];
    for (let i = 0; i < ORDERS; i++) {
      const currency = random.chance(0.05) ? 'USD' : 'EUR';
      const lines = Array.from({ length: random.int(1, 4) }, () => ({
        sku: skus[random.int(0, PRODUCTS - 1)]!,
        quantity: random.int(1, 5),
        priceMinor: random.int(1, 20_000),
      }));
      const placedAtMs = start + random.int(0, WINDOW_DAYS * DAY_MS - 1);
      const customerId = customerIds[random.int(0, CUSTOMERS - 1)]!;
      const event = orderPlaced({ customerId, placedAt: new Date(placedAtMs), lines, currency });
      const cancelled = random.chance(0.3);
      orders.push({ event, customerId, placedAtMs, currency, lines, cancelled });

      const placedId = randomUUID();
      const timeline: { event: Message; id?: string }[] = [{ event, id: placedId }];
      if (random.chance(0.1)) timeline.push({ event, id: placedId }); // redelivered
      if (random.chance(0.05)) timeline.push({ event }); // re-published under a new id
      if (cancelled) {
        const cancel = orderCancelled(event);
        if (random.chance(0.1))
          timeline.unshift({ event: cancel }); // cancel seen first
        else timeline.push({ event: cancel });
        if (random.chance(0.15)) timeline.push({ event: cancel }); // cancelled twice
      }
      timelines.push(timeline);
    }
    const sequence: { event: Message; id?: string }[] = [];
    const cursors = timelines.map(() => 0);
    while (sequence.length < timelines.reduce((n, t) => n + t.length, 0)) {
      const open = timelines.map((t, i) => i).filter((i) => cursors[i]! < timelines[i]!.length);
      const pick = open[random.int(0, open.length - 1)]!;
      sequence.push(timelines[pick]![cursors[pick]!++]!);
    }

    const names: Message[] = [
      ...[...productNames].map(([sku, name]) => productUpserted(sku, name)),
      ...[...customerNames].map(([id, name]) => userRegistered(id, name)),
    ];
    const early = names.filter(() => random.chance(0.5));
    const late = names.filter((n) => !early.includes(n));
    for (const event of early) await consumer.publish(event);
    for (const { event, id } of sequence) await consumer.publish(event, { id });
    for (const event of late) await consumer.publish(event);

    await waitForOrders(
      store.storage,
      new Map(orders.map((o) => [o.event.orderId, o.cancelled ? 'cancelled' : 'placed'] as const)),
    );
    // Redundant deliveries behind the final state must have had their (null) effect too.
    await consumer.settleTopic(topics.salesOrders.name);
    await waitUntil(async () => {
      const [p, c] = await Promise.all([
        store.storage.db
          .selectFrom('products')
          .select('sku')
          .where('sku', 'in', [...productNames.keys()])
          .execute(),
        store.storage.db
          .selectFrom('customers')
          .select('customer_id')
          .where('customer_id', 'in', [...customerNames.keys()])
          .execute(),
      ]);
      return p.length === productNames.size && c.length === customerNames.size;
    }, 'not every name arrived');

    const end = start + WINDOW_DAYS * DAY_MS;
    // Whole days are read from the aggregates and partial ones from the
    // orders, so the ranges mix both: bounds at midnight, bounds inside a
    // day, and a range inside one day. (Open bounds would also count what
    // other specs publish on the shared topic.)
    const ranges: [number, number][] = [[start, end]];
    for (let i = 0; i < 4; i++) {
      const from = random.int(start, end);
      ranges.push([from, random.int(from, end)]);
    }
    const midnight = () => start + random.int(0, WINDOW_DAYS) * DAY_MS;
    const [m1, m2] = [midnight(), midnight()].sort((a, b) => a - b) as [number, number];
    const inside = start + random.int(0, WINDOW_DAYS - 1) * DAY_MS;
    ranges.push(
      [m1, m2],
      [m1, Math.min(end, m2 + random.int(1, DAY_MS - 1))],
      [Math.max(start, m1 - random.int(1, DAY_MS - 1)), m2],
      [inside + random.int(0, DAY_MS / 2), inside + random.int(DAY_MS / 2, DAY_MS)],
    );
    for (const [fromMs, toMs] of ranges) {
      const res = await server.client.getSalesReport(
        { from: timestampFromDate(new Date(fromMs)), to: timestampFromDate(new Date(toMs)) },
        as.admin,
      );
      const actual: Expected = {
        orderCount: res.orderCount,
        unitsSold: res.unitsSold,
        revenue: res.revenue!.amountMinor,
        days: res.days.map((d) => [
          timestampDate(d.day!).toISOString(),
          d.orderCount,
          d.unitsSold,
          d.revenue!.amountMinor,
        ]),
        products: res.products.map((p) => [p.sku, p.name, p.unitsSold, p.revenue!.amountMinor]),
        customers: res.customers.map((c) => [
          c.customerId,
          c.displayName,
          c.orderCount,
          c.revenue!.amountMinor,
        ]),
      };
      const expected = expectedReport(orders, productNames, customerNames, fromMs, toMs);
      try {
        expect(actual).toEqual(expected);
      } catch (err) {
        (err as Error).message =
          `REPORT_SEED=${seed}, range [${new Date(fromMs).toISOString()}, ${new Date(toMs).toISOString()}): ` +
          (err as Error).message;
        throw err;
      }
      // Currency is carried everywhere, not only in the totals.
      expect(res.revenue!.currencyCode).toBe('EUR');
    }
    // The full window is big enough to exercise both caps and the cancellations.
    const full = expectedReport(orders, productNames, customerNames, start, end);
    expect(full.products).toHaveLength(TOP);
    expect(full.customers).toHaveLength(TOP);
  }, 180_000);
});
