// What each consumed event does to the report: events go through the real
// broker into the inbox consumer, the report comes back over a real socket.
import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { cloudEventHeaders, deadLetterHeaders, type EventRecord } from '@switchboard/event-bus';
import {
  DAY_MS,
  orderCancelled,
  orderPlaced,
  privateWindowStart,
  productUpserted,
  runId,
  userRegistered,
  type LineSpec,
} from './testing/reporting-events';
import {
  as,
  backends,
  openReportingStore,
  startReportingTestConsumer,
  startReportingTestServer,
  waitForOrders,
  waitUntil,
  type ReportingStore,
  type ReportingTestConsumer,
  type ReportingTestServer,
} from './testing/reporting-test-harness';

describe.each(backends)('reporting events on %s', (backend) => {
  let store: ReportingStore;
  let consumer: ReportingTestConsumer;
  let server: ReportingTestServer;

  beforeAll(async () => {
    store = await openReportingStore(backend);
    server = await startReportingTestServer(store.storage);
    consumer = await startReportingTestConsumer(store.storage);
  }, 120_000);
  afterAll(async () => {
    await consumer?.close();
    await server?.stop();
    await store?.dispose();
  });

  /** A day of this test's own, and ids no other test or run shares. */
  function scenario() {
    const day = privateWindowStart();
    const run = runId();
    return {
      day,
      at: (hours: number) => new Date(day.getTime() + hours * 3_600_000),
      sku: (name: string) => `${run}-${name}`,
      customer: (name: string) => `${run}-${name}`,
      report: () =>
        server.client.getSalesReport(
          {
            from: timestampFromDate(day),
            to: timestampFromDate(new Date(day.getTime() + DAY_MS)),
          },
          as.admin,
        ),
    };
  }

  const lines = (...specs: [string, number, number][]): LineSpec[] =>
    specs.map(([sku, quantity, priceMinor]) => ({ sku, quantity, priceMinor }));

  it('counts an OrderPlaced in totals, its day, its products and its customer', async () => {
    const s = scenario();
    const placed = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(9.5),
      lines: lines([s.sku('tea'), 2, 450], [s.sku('mug'), 1, 1200]),
    });
    await consumer.publish(placed);
    await waitForOrders(store.storage, new Map([[placed.orderId, 'placed']]));

    const res = await s.report();
    expect(res).toMatchObject({ orderCount: 1n, unitsSold: 3n, revenue: { amountMinor: 2100n } });
    expect(res.days).toHaveLength(1);
    expect(res.days[0]).toMatchObject({
      day: timestampFromDate(s.day),
      orderCount: 1n,
      unitsSold: 3n,
      revenue: { currencyCode: 'EUR', amountMinor: 2100n },
    });
    expect(res.products.map((p) => [p.sku, p.name, p.unitsSold, p.revenue?.amountMinor])).toEqual([
      [s.sku('mug'), '', 1n, 1200n],
      [s.sku('tea'), '', 2n, 900n],
    ]);
    expect(res.customers.map((c) => [c.customerId, c.orderCount, c.revenue?.amountMinor])).toEqual([
      [s.customer('ann'), 1n, 2100n],
    ]);
  });

  it('counts a duplicate delivery of one OrderPlaced (same event id) once', async () => {
    const s = scenario();
    const placed = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(1),
      lines: lines([s.sku('tea'), 1, 300]),
    });
    const id = randomUUID();
    await consumer.publish(placed, { id });
    await waitForOrders(store.storage, new Map([[placed.orderId, 'placed']]));
    const duplicatesBefore = consumer.status().duplicates;

    const again = await consumer.publish(placed, { id });
    await consumer.settle(again);

    expect(consumer.status().duplicates).toBe(duplicatesBefore + 1);
    const inbox = await store.storage.db
      .selectFrom('inbox')
      .select('event_id')
      .where('event_id', '=', id)
      .execute();
    expect(inbox).toHaveLength(1);
    const res = await s.report();
    expect(res).toMatchObject({ orderCount: 1n, unitsSold: 1n, revenue: { amountMinor: 300n } });
  });

  it('counts an order re-published under a new event id once', async () => {
    const s = scenario();
    const placed = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(2),
      lines: lines([s.sku('tea'), 4, 250]),
    });
    await consumer.publish(placed);
    const again = await consumer.publish(placed);
    await consumer.settle(again);

    const res = await s.report();
    expect(res).toMatchObject({ orderCount: 1n, unitsSold: 4n, revenue: { amountMinor: 1000n } });
  });

  it('takes a cancelled order out of every figure, and a second cancel changes nothing', async () => {
    const s = scenario();
    const kept = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(3),
      lines: lines([s.sku('tea'), 1, 500]),
    });
    const dropped = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(4),
      lines: lines([s.sku('tea'), 2, 500], [s.sku('pot'), 1, 3000]),
    });
    const other = orderPlaced({
      customerId: s.customer('ben'),
      placedAt: s.at(5),
      lines: lines([s.sku('pot'), 1, 3000]),
    });
    for (const e of [kept, dropped, other]) await consumer.publish(e);
    await waitForOrders(
      store.storage,
      new Map([kept, dropped, other].map((o) => [o.orderId, 'placed'] as const)),
    );
    const before = await s.report();
    expect(before).toMatchObject({
      orderCount: 3n,
      unitsSold: 5n,
      revenue: { amountMinor: 7500n },
    });

    await consumer.publish(orderCancelled(dropped));
    await waitForOrders(store.storage, new Map([[dropped.orderId, 'cancelled']]));
    const after = await s.report();
    expect(after).toMatchObject({ orderCount: 2n, unitsSold: 2n, revenue: { amountMinor: 3500n } });
    expect(after.days.map((d) => [d.orderCount, d.revenue?.amountMinor])).toEqual([[2n, 3500n]]);
    expect(after.products.map((p) => [p.sku, p.unitsSold, p.revenue?.amountMinor])).toEqual([
      [s.sku('pot'), 1n, 3000n],
      [s.sku('tea'), 1n, 500n],
    ]);
    expect(
      after.customers.map((c) => [c.customerId, c.orderCount, c.revenue?.amountMinor]),
    ).toEqual([
      [s.customer('ben'), 1n, 3000n],
      [s.customer('ann'), 1n, 500n],
    ]);

    const second = await consumer.publish(orderCancelled(dropped, new Date()));
    await consumer.settle(second);
    expect(await s.report()).toEqual(after);
  });

  it('never counts an order whose cancellation arrived first', async () => {
    const s = scenario();
    const placed = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(6),
      lines: lines([s.sku('tea'), 1, 800]),
    });
    // Same key, so the broker keeps this order: cancel, then place.
    await consumer.publish(orderCancelled(placed));
    const late = await consumer.publish(placed);
    await consumer.settle(late);

    const row = await store.storage.db
      .selectFrom('orders')
      .select('status')
      .where('order_id', '=', placed.orderId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('cancelled');
    expect(await s.report()).toMatchObject({ orderCount: 0n, revenue: { amountMinor: 0n } });
  });

  it('fills in product and customer names that arrive after the orders', async () => {
    const s = scenario();
    const placed = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(7),
      lines: lines([s.sku('tea'), 1, 800]),
    });
    await consumer.publish(placed);
    await waitForOrders(store.storage, new Map([[placed.orderId, 'placed']]));
    const unnamed = await s.report();
    expect(unnamed.products[0]).toMatchObject({ sku: s.sku('tea'), name: '' });
    expect(unnamed.customers[0]).toMatchObject({ customerId: s.customer('ann'), displayName: '' });

    const t0 = Date.now();
    await consumer.publish(productUpserted(s.sku('tea'), 'Sencha 100g', new Date(t0)));
    await consumer.publish(userRegistered(s.customer('ann'), 'Ann Example'));
    await waitUntil(async () => {
      const res = await s.report();
      return (
        res.products[0]?.name === 'Sencha 100g' && res.customers[0]?.displayName === 'Ann Example'
      );
    }, 'names did not fill in');

    // A rename wins; an upsert older than the stored name (a replay) does not.
    await consumer.publish(productUpserted(s.sku('tea'), 'Sencha 250g', new Date(t0 + 2_000)));
    const stale = await consumer.publish(
      productUpserted(s.sku('tea'), 'Sencha 50g', new Date(t0 + 1_000)),
    );
    await consumer.settle(stale);
    expect((await s.report()).products[0]).toMatchObject({ name: 'Sencha 250g', unitsSold: 1n });
  });

  it('keeps an order in another currency out of the report', async () => {
    const s = scenario();
    const usd = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(8),
      lines: lines([s.sku('tea'), 1, 800]),
      currency: 'USD',
    });
    await consumer.publish(usd);
    await waitForOrders(store.storage, new Map([[usd.orderId, 'placed']]));
    expect(await s.report()).toMatchObject({ orderCount: 0n, products: [], customers: [] });
  });

  it('dead-letters an order whose total disagrees with its lines, and moves on', async () => {
    const s = scenario();
    const broken = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(10),
      lines: lines([s.sku('tea'), 2, 100]),
    });
    broken.total!.amountMinor = 150n;
    const fine = orderPlaced({
      orderId: broken.orderId,
      customerId: s.customer('ann'),
      placedAt: s.at(10),
      lines: lines([s.sku('tea'), 1, 150]),
    });
    const sent = await consumer.publish(broken);
    await consumer.publish(fine); // same key: behind the broken one on its partition
    await waitForOrders(store.storage, new Map([[fine.orderId, 'placed']]));
    expect(await s.report()).toMatchObject({ orderCount: 1n, unitsSold: 1n });

    const letters: EventRecord[] = [];
    const dlq = consumer.bus.createConsumer({
      groupId: `reporting-dlq-probe-${randomUUID()}`,
      topics: [`${sent.topic}.dlq`],
      ephemeral: true,
      onRecord(record) {
        if (
          record.headers[cloudEventHeaders.id] === sent.id &&
          record.headers[deadLetterHeaders.consumerGroup] === consumer.groupId
        )
          letters.push(record);
      },
    });
    await dlq.start();
    try {
      await waitUntil(async () => letters.length > 0, 'the dead letter did not arrive');
    } finally {
      await dlq.stop();
    }
    // A broken event can never succeed: it is dead-lettered on its first attempt.
    expect(letters[0]!.headers[deadLetterHeaders.attempts]).toBe('1');
    expect(letters[0]!.headers[deadLetterHeaders.error]).toContain(
      "total 150 differs from the lines' sum 200",
    );
  });
});
