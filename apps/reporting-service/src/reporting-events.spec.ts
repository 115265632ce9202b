// What each consumed event does to the report: events go through the real
// broker into the inbox consumer, the report comes back over a real socket.
import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { topics } from '@switchboard/contracts';
import { cloudEventHeaders, deadLetterHeaders, type EventRecord } from '@switchboard/event-bus';
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
  type LineSpec,
} from './testing/reporting-events';
import {
  as,
  deadLettersOf,
  openReportingStore,
  startReportingTestService,
  waitForOrders,
  waitUntil,
  type ReportingStore,
  type ReportingTestService,
} from './testing/reporting-test-harness';

describe('reporting events', () => {
  let store: ReportingStore;
  let consumer: ReportingTestService;
  let server: ReportingTestService;

  beforeAll(async () => {
    store = await openReportingStore();
    // One service: it applies what the test publishes and answers the report.
    consumer = await startReportingTestService(store);
    server = consumer;
  }, 120_000);
  afterAll(async () => {
    await consumer?.stop();
    await store?.dispose();
  });

  /** A day of this test's own, and ids no other test or run shares. */
  function scenario() {
    const day = privateWindowStart();
    const run = runId();
    return {
      day,
      at: (hours: number) => new Date(day.getTime() + hours * 3_600_000),
      sku: (name: string) => testSku(run, name),
      customer: (name: string) => testCustomerId(run, name),
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
      kind: 'record',
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

  it('dead-letters absurd and forged orders at once, and the sums stay exact', async () => {
    const s = scenario();
    const before = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(11),
      lines: lines([s.sku('tea'), 2, 450]),
    });
    // Each fits its protobuf field and adds up, and the order API refuses each.
    const hugeQuantity = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(11),
      lines: lines([s.sku('tea'), 2 ** 31 - 1, 4_294_967_295]),
    });
    const manyLines = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(11),
      lines: Array.from({ length: 10_000 }, (_, i) => ({
        sku: s.sku(`l${i}`),
        quantity: 1,
        priceMinor: 100,
      })),
    });
    const hugePrice = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(11),
      lines: lines([s.sku('tea'), 1, 1_000_000_001]),
    });
    const badIds = orderPlaced({
      orderId: 'order-1',
      customerId: 'ann',
      placedAt: s.at(11),
      lines: lines(['tea', 1, 100]),
    });
    const forged = orderPlaced({
      customerId: s.customer('ann'),
      placedAt: s.at(11),
      lines: lines([s.sku('tea'), 1, 100]),
    });
    const after = orderPlaced({
      customerId: s.customer('ben'),
      placedAt: s.at(12),
      lines: lines([s.sku('mug'), 1, 1200]),
    });
    const sent = new Map<string, string>();
    await consumer.publish(before);
    for (const [name, event] of Object.entries({ hugeQuantity, manyLines, hugePrice, badIds }))
      sent.set(name, (await consumer.publish(event)).id);
    sent.set('forged', (await consumer.publish(forged, { source: '/switchboard/intruder' })).id);
    await consumer.publish(after);

    const letters = await deadLettersOf(consumer, topics.salesOrders.name, [...sent.values()]);
    const letter = (name: string) => letters.get(sent.get(name)!)!.headers;
    expect(letter('hugeQuantity')).toMatchObject({ [deadLetterHeaders.attempts]: '1' });
    expect(letter('hugeQuantity')[deadLetterHeaders.error]).toContain(
      'lines[0].quantity 2147483647 is not between 1 and 1000',
    );
    expect(letter('manyLines')[deadLetterHeaders.error]).toContain(
      'lines has 10000 entries, more than 100',
    );
    expect(letter('hugePrice')[deadLetterHeaders.error]).toContain(
      'lines[0].unit_price 1000000001 is above 1000000000',
    );
    expect(letter('badIds')[deadLetterHeaders.error]).toBe(
      'switchboard.order.v1.OrderPlaced cannot be applied: order_id is not a UUID; ' +
        'customer_id is not a UUID; lines[0].sku is not a well-formed sku',
    );
    expect(letter('forged')).toMatchObject({
      [deadLetterHeaders.attempts]: '0',
      [deadLetterHeaders.error]:
        'forbidden_source: switchboard.order.v1.OrderPlaced from /switchboard/intruder is ' +
        'refused: only /switchboard/order-service publishes it',
    });

    await waitForOrders(
      store.storage,
      new Map([
        [before.orderId, 'placed'],
        [after.orderId, 'placed'],
      ]),
    );
    const refused = [hugeQuantity, manyLines, hugePrice, badIds, forged].map((e) => e.orderId);
    expect(
      await store.storage.db
        .selectFrom('orders')
        .select('order_id')
        .where('order_id', 'in', refused)
        .execute(),
    ).toEqual([]);
    // Only the two real orders count, to the unit and the cent.
    expect(await s.report()).toMatchObject({
      orderCount: 2n,
      unitsSold: 3n,
      revenue: { currencyCode: 'EUR', amountMinor: 2n * 450n + 1200n },
    });
  });

  it('dead-letters products and users their APIs would refuse; the names stay as they were', async () => {
    const s = scenario();
    const t0 = s.day.getTime();
    await consumer.publish(productUpserted(s.sku('tea'), 'Sencha 100g', new Date(t0)));
    await consumer.publish(userRegistered(s.customer('ann'), 'Ann Example'));
    const longName = productUpserted(s.sku('tea'), 'x'.repeat(121), new Date(t0 + 1_000));
    const negativeStock = productUpserted(s.sku('tea'), 'Sencha 250g', new Date(t0 + 2_000));
    negativeStock.availableQuantity = -1;
    const lowerSku = productUpserted(s.sku('tea').toLowerCase(), 'Sencha', new Date(t0 + 3_000));
    const longUser = userRegistered(s.customer('ann'), 'y'.repeat(65));
    const controlUser = userRegistered(s.customer('ann'), 'Ann\u0007');
    const oddId = userRegistered(`${s.customer('ann')}-x`, 'Ann');
    const products = await Promise.all(
      [longName, negativeStock, lowerSku].map(async (e) => (await consumer.publish(e)).id),
    );
    const users = await Promise.all(
      [longUser, controlUser, oddId].map(async (e) => (await consumer.publish(e)).id),
    );
    const productLetters = await deadLettersOf(consumer, topics.catalogProducts.name, products);
    const userLetters = await deadLettersOf(consumer, topics.identityUsers.name, users);
    const errors = [
      ...products.map((id) => productLetters.get(id)!),
      ...users.map((id) => userLetters.get(id)!),
    ].map((l) => l.headers[deadLetterHeaders.error]);
    expect(errors).toEqual([
      'switchboard.inventory.v1.ProductUpserted cannot be applied: name has 121 characters, more than 120',
      'switchboard.inventory.v1.ProductUpserted cannot be applied: available_quantity -1 is not between 0 and 1000000',
      'switchboard.inventory.v1.ProductUpserted cannot be applied: sku is not a well-formed sku',
      'switchboard.auth.v1.UserRegistered cannot be applied: display_name has 65 characters, more than 64',
      'switchboard.auth.v1.UserRegistered cannot be applied: display_name contains control characters',
      'switchboard.auth.v1.UserRegistered cannot be applied: user_id is not a UUID',
    ]);
    const names = async () => ({
      products: await store.storage.db
        .selectFrom('products')
        .select(['sku', 'name'])
        .where('sku', 'in', [s.sku('tea'), s.sku('tea').toLowerCase()])
        .execute(),
      customers: await store.storage.db
        .selectFrom('customers')
        .select(['customer_id', 'display_name'])
        .where('customer_id', 'in', [s.customer('ann'), `${s.customer('ann')}-x`])
        .execute(),
    });
    expect(await names()).toEqual({
      products: [{ sku: s.sku('tea'), name: 'Sencha 100g' }],
      customers: [{ customer_id: s.customer('ann'), display_name: 'Ann Example' }],
    });
  });
});
