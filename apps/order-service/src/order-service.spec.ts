import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { OrderStatus, type Order } from '@switchboard/contracts';
import { sql } from '@switchboard/storage';
import {
  bearer,
  errorInfo,
  failure,
  inventoryPath,
  outboxEventsFor,
  shareNeighbours,
  startOrderTestServer,
  type AuthNeighbour,
  type Customer,
  type InventoryNeighbour,
  type OrderTestServer,
} from './testing/order-test-harness';

const eur = (cents: number) => ({ currencyCode: 'EUR', amountMinor: BigInt(cents) });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const BETWEEN_1_AND_1000 = 'must be greater than or equal to 1 and less than or equal to 1000';

let auth: AuthNeighbour;
let inventory: InventoryNeighbour;
shareNeighbours((n) => ({ auth, inventory } = n));

describe('OrderService', () => {
  let t: OrderTestServer;
  let alice: Customer;
  let bob: Customer;

  beforeAll(async () => {
    t = await startOrderTestServer(auth, inventory);
    alice = await auth.newCustomer('alice');
    bob = await auth.newCustomer('bob');
  });
  afterAll(async () => {
    await t?.close();
  });

  const orderRows = (customerId: string) =>
    t.storage.db.selectFrom('orders').selectAll().where('customer_id', '=', customerId).execute();
  const place = (who: Customer, items: { sku: string; quantity: number }[]) =>
    t.client.placeOrder({ items }, who.auth).then((res) => res.order!);

  describe('PlaceOrder', () => {
    it('reserves and commits the stock, and answers with the lines at the reserved prices', async () => {
      const a = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 1_250 });
      const b = await inventory.newProduct(5, { currencyCode: 'EUR', cents: 399 });
      const before = Date.now();
      const order = await place(alice, [
        { sku: a, quantity: 3 },
        { sku: b, quantity: 2 },
      ]);

      expect(order.customerId).toBe(alice.userId);
      expect(order.status).toBe(OrderStatus.PLACED);
      expect(order.items.map((l) => [l.sku, l.quantity, l.unitPrice?.amountMinor])).toEqual([
        [a, 3, 1_250n],
        [b, 2, 399n],
      ]);
      expect(order.total).toMatchObject(eur(3 * 1_250 + 2 * 399));
      expect(timestampDate(order.createdAt!).getTime()).toBeGreaterThanOrEqual(before - 1_000);

      // Sold, not merely held: the stock is gone and the reservation committed.
      expect(await inventory.available(a)).toBe(7);
      expect(await inventory.available(b)).toBe(3);
      // The reservation is the order id's, and belongs to the customer.
      expect(await inventory.reservation(order.orderId)).toEqual({
        status: 'committed',
        owner_user_id: alice.userId,
      });
      const [row] = await t.storage.db
        .selectFrom('orders')
        .selectAll()
        .where('order_id', '=', order.orderId)
        .execute();
      expect(row).toMatchObject({
        status: 'placed',
        currency_code: 'EUR',
        total_minor: 4_548n,
        reservation_committed: true,
      });
    });

    it('writes OrderPlaced with the lines, prices, total and placed_at to the outbox', async () => {
      const a = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 700 });
      const b = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 1_999 });
      const order = await place(alice, [
        { sku: b, quantity: 1 },
        { sku: a, quantity: 4 },
      ]);
      const events = await outboxEventsFor(t.storage, order.orderId);
      expect(events.map((e) => e.type)).toEqual(['OrderPlaced']);
      const placed = events[0]!.message;
      expect(events[0]!.key).toBe(order.orderId);
      expect(placed.orderId).toBe(order.orderId);
      expect(placed.customerId).toBe(alice.userId);
      expect(
        placed.lines.map((l) => [
          l.sku,
          l.quantity,
          l.unitPrice?.currencyCode,
          l.unitPrice?.amountMinor,
        ]),
      ).toEqual([
        [b, 1, 'EUR', 1_999n],
        [a, 4, 'EUR', 700n],
      ]);
      expect(placed.total).toMatchObject(eur(1_999 + 4 * 700));
      expect(timestampDate(placed.placedAt!).getTime()).toBe(
        timestampDate(order.createdAt!).getTime(),
      );
    });

    it('needs a valid token, checked by the auth service', async () => {
      const sku = await inventory.newProduct(5);
      const none = await failure(t.client.placeOrder({ items: [{ sku, quantity: 1 }] }));
      expect(none.code).toBe(Code.Unauthenticated);
      const forged = await failure(
        t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, bearer('not-a-token')),
      );
      expect(forged.code).toBe(Code.Unauthenticated);
      expect(errorInfo(forged).code).toBe('INVALID_TOKEN');
      expect(await inventory.available(sku)).toBe(5);
    });

    it('refuses malformed items with every violation named, before touching stock', async () => {
      const sku = await inventory.newProduct(5);
      const err = await failure(
        t.client.placeOrder(
          {
            items: [
              { sku, quantity: 0 },
              { sku: 'bad sku', quantity: 1 },
              { sku: '', quantity: 1_001 },
            ],
          },
          alice.auth,
        ),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(errorInfo(err).violations).toEqual([
        { field: 'items[0].quantity', description: BETWEEN_1_AND_1000 },
        { field: 'items[1].sku', description: expect.stringContaining('2-32 characters') },
        { field: 'items[2].sku', description: 'is required' },
        { field: 'items[2].quantity', description: BETWEEN_1_AND_1000 },
      ]);
      expect(await inventory.available(sku)).toBe(5);
    });

    it('refuses no items and more than 100 lines', async () => {
      const empty = await failure(t.client.placeOrder({ items: [] }, alice.auth));
      expect(empty.code).toBe(Code.InvalidArgument);
      expect(empty.rawMessage).toBe('items: must contain at least 1 item(s)');
      const many = range(101).map((i) => ({ sku: `SKU-X${i}`, quantity: 1 }));
      const tooMany = await failure(t.client.placeOrder({ items: many }, alice.auth));
      expect(tooMany.code).toBe(Code.InvalidArgument);
      expect(tooMany.rawMessage).toBe('items: must contain no more than 100 item(s)');
    });

    it('accepts exactly 100 lines and quantities of 1000', async () => {
      // One by one: the neighbours share the machine's two cores with the test.
      const skus: string[] = [];
      for (let i = 0; i < 100; i++) {
        skus.push(await inventory.newProduct(1_000, { currencyCode: 'EUR', cents: 1 }));
      }
      const order = await place(
        alice,
        skus.map((sku) => ({ sku, quantity: 1_000 })),
      );
      expect(order.items).toHaveLength(100);
      expect(order.total).toMatchObject(eur(100 * 1_000));
    });

    it('refuses a sku listed twice, naming it, rather than merging the lines', async () => {
      const sku = await inventory.newProduct(5);
      const err = await failure(
        t.client.placeOrder(
          {
            items: [
              { sku, quantity: 1 },
              { sku, quantity: 2 },
            ],
          },
          alice.auth,
        ),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(
        `items[1].sku: duplicates ${sku}: list each sku once with the total quantity`,
      );
      expect(await inventory.available(sku)).toBe(5);
    });

    it('answers NOT_FOUND naming unknown skus, and reserves nothing', async () => {
      const sku = await inventory.newProduct(5);
      const before = (await orderRows(alice.userId)).length;
      const err = await failure(
        t.client.placeOrder(
          {
            items: [
              { sku, quantity: 1 },
              { sku: 'GHOST-1', quantity: 1 },
              { sku: 'GHOST-2', quantity: 1 },
            ],
          },
          alice.auth,
        ),
      );
      expect(err.code).toBe(Code.NotFound);
      expect(errorInfo(err)).toMatchObject({
        code: 'PRODUCT_NOT_FOUND',
        details: { skus: '["GHOST-1","GHOST-2"]' },
      });
      expect(err.rawMessage).toContain('GHOST-1');
      expect(await inventory.available(sku)).toBe(5);
      expect(await orderRows(alice.userId)).toHaveLength(before);
    });

    it('answers FAILED_PRECONDITION with the shortfalls when stock is short, and writes no order', async () => {
      const a = await inventory.newProduct(5);
      const b = await inventory.newProduct(1);
      const before = (await orderRows(bob.userId)).length;
      const err = await failure(
        t.client.placeOrder(
          {
            items: [
              { sku: a, quantity: 2 },
              { sku: b, quantity: 3 },
            ],
          },
          bob.auth,
        ),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      // Inventory's refusal, passed on whole: code, details and per-sku preconditions.
      expect(errorInfo(err)).toEqual({
        code: 'INSUFFICIENT_STOCK',
        details: { shortfalls: JSON.stringify([{ sku: b, requested: 3, available: 1 }]) },
        preconditions: [{ type: 'STOCK', subject: b, description: 'requested 3, available 1' }],
      });
      expect(await inventory.available(a)).toBe(5);
      expect(await orderRows(bob.userId)).toHaveLength(before);
    });

    it('refuses items priced in different currencies and gives the reserved stock back', async () => {
      const a = await inventory.newProduct(5, { currencyCode: 'EUR', cents: 100 });
      const b = await inventory.newProduct(5, { currencyCode: 'USD', cents: 100 });
      const before = (await orderRows(bob.userId)).length;
      const err = await failure(
        t.client.placeOrder(
          {
            items: [
              { sku: a, quantity: 1 },
              { sku: b, quantity: 1 },
            ],
          },
          bob.auth,
        ),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(err)).toMatchObject({
        code: 'ORDER_MIXED_CURRENCIES',
        details: { currencies: '["EUR","USD"]' },
      });
      expect(await inventory.available(a)).toBe(5);
      expect(await inventory.available(b)).toBe(5);
      expect(await orderRows(bob.userId)).toHaveLength(before);
    });
  });

  describe('idempotency', () => {
    it('answers a retry with the same key and body with the same order, reserving once', async () => {
      const sku = await inventory.newProduct(10);
      const key = `retry-${Date.now()}`;
      const first = await t.client.placeOrder(
        { items: [{ sku, quantity: 2 }] },
        alice.withKey(key),
      );
      const again = await t.client.placeOrder(
        { items: [{ sku, quantity: 2 }] },
        alice.withKey(key),
      );
      expect(again.order).toEqual(first.order);
      expect(await inventory.available(sku)).toBe(8);
      expect(await outboxEventsFor(t.storage, first.order!.orderId)).toHaveLength(1);
    });

    it('treats the same lines in another order as the same request', async () => {
      const a = await inventory.newProduct(10);
      const b = await inventory.newProduct(10);
      const key = `reordered-${Date.now()}`;
      const first = await t.client.placeOrder(
        {
          items: [
            { sku: a, quantity: 1 },
            { sku: b, quantity: 2 },
          ],
        },
        alice.withKey(key),
      );
      const again = await t.client.placeOrder(
        {
          items: [
            { sku: b, quantity: 2 },
            { sku: a, quantity: 1 },
          ],
        },
        alice.withKey(key),
      );
      expect(again.order?.orderId).toBe(first.order?.orderId);
      expect(await inventory.available(a)).toBe(9);
    });

    it('refuses the same key with a different body with FAILED_PRECONDITION', async () => {
      const sku = await inventory.newProduct(10);
      const key = `mismatch-${Date.now()}`;
      await t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.withKey(key));
      const err = await failure(
        t.client.placeOrder({ items: [{ sku, quantity: 2 }] }, alice.withKey(key)),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(err).code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await inventory.available(sku)).toBe(9);
    });

    it('keeps keys per customer: the same key from two customers places two orders', async () => {
      const sku = await inventory.newProduct(10);
      const key = `shared-${Date.now()}`;
      const mine = await t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.withKey(key));
      const theirs = await t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, bob.withKey(key));
      expect(theirs.order?.orderId).not.toBe(mine.order?.orderId);
      expect(theirs.order?.customerId).toBe(bob.userId);
      expect(await inventory.available(sku)).toBe(8);
    });

    it('gives concurrent duplicates one order between them', async () => {
      const sku = await inventory.newProduct(50);
      const key = `race-${Date.now()}`;
      const results = await Promise.all(
        range(8).map(() =>
          t.client.placeOrder({ items: [{ sku, quantity: 3 }] }, alice.withKey(key)),
        ),
      );
      const ids = new Set(results.map((r) => r.order?.orderId));
      expect(ids.size).toBe(1);
      expect(await inventory.available(sku)).toBe(47);
      const [orderId] = [...ids];
      expect(await outboxEventsFor(t.storage, orderId!)).toHaveLength(1);
    });

    it('lets a retry place the order after a refused attempt', async () => {
      const sku = await inventory.newProduct(1);
      const key = `after-refusal-${Date.now()}`;
      const refused = await failure(
        t.client.placeOrder({ items: [{ sku, quantity: 2 }] }, alice.withKey(key)),
      );
      expect(refused.code).toBe(Code.FailedPrecondition);
      await inventory.client.adjustStock({ sku, delta: 1 }, auth.admin.auth);
      const placed = await t.client.placeOrder(
        { items: [{ sku, quantity: 2 }] },
        alice.withKey(key),
      );
      expect(placed.order?.status).toBe(OrderStatus.PLACED);
      expect(await inventory.available(sku)).toBe(0);
    });

    it('refuses a malformed key', async () => {
      const sku = await inventory.newProduct(1);
      for (const key of ['has space', 'x'.repeat(129), 'slash/not-allowed']) {
        const err = await failure(
          t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.withKey(key)),
        );
        expect(err.code).toBe(Code.InvalidArgument);
        expect(errorInfo(err).violations).toEqual([
          { field: 'idempotency-key', description: expect.stringContaining('1-128 characters') },
        ]);
      }
      const ok = await t.client.placeOrder(
        { items: [{ sku, quantity: 1 }] },
        alice.withKey('A-z_0.9:' + 'k'.repeat(120)),
      );
      expect(ok.order?.status).toBe(OrderStatus.PLACED);
    });
  });

  describe('GetOrder', () => {
    it('answers the owner and NOT_FOUND to anyone else, as for a missing order', async () => {
      const sku = await inventory.newProduct(5);
      const order = await place(alice, [{ sku, quantity: 1 }]);
      const got = await t.client.getOrder({ orderId: order.orderId }, alice.auth);
      expect(got.order).toEqual(order);

      const other = await failure(t.client.getOrder({ orderId: order.orderId }, bob.auth));
      expect(other.code).toBe(Code.NotFound);
      expect(errorInfo(other).code).toBe('ORDER_NOT_FOUND');
      const missing = await failure(
        t.client.getOrder({ orderId: '00000000-0000-4000-8000-000000000000' }, alice.auth),
      );
      expect(missing.code).toBe(Code.NotFound);
      expect(missing.rawMessage.replace(/order \S+/, 'order X')).toBe(
        other.rawMessage.replace(/order \S+/, 'order X'),
      );
    });

    it('refuses an id that cannot be an order id', async () => {
      const err = await failure(t.client.getOrder({ orderId: 'nope' }, alice.auth));
      expect(err.code).toBe(Code.InvalidArgument);
      const anonymous = await failure(t.client.getOrder({ orderId: 'nope' }));
      expect(anonymous.code).toBe(Code.Unauthenticated);
    });
  });

  describe('ListOrders', () => {
    it('pages through the caller’s own orders, newest first, with an opaque token', async () => {
      const carol = await auth.newCustomer('carol');
      const sku = await inventory.newProduct(100);
      const placed: Order[] = [];
      for (let i = 0; i < 7; i++) placed.push(await place(carol, [{ sku, quantity: 1 }]));
      await place(bob, [{ sku, quantity: 1 }]); // someone else's, never listed

      const seen: Order[] = [];
      let pageToken = '';
      const sizes: number[] = [];
      do {
        const page = await t.client.listOrders({ pageSize: 3, pageToken }, carol.auth);
        sizes.push(page.orders.length);
        seen.push(...page.orders);
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen.map((o) => o.orderId)).toEqual(placed.map((o) => o.orderId).reverse());
      expect(seen.every((o) => o.customerId === carol.userId)).toBe(true);
      expect(seen[0]?.items).toHaveLength(1);

      const all = await t.client.listOrders({ pageSize: 0, pageToken: '' }, carol.auth);
      expect(all.orders).toHaveLength(7);
      expect(all.nextPageToken).toBe('');
    });

    it('orders equal creation times by order id, so no order is skipped or repeated', async () => {
      const dave = await auth.newCustomer('dave');
      const sku = await inventory.newProduct(100);
      for (let i = 0; i < 5; i++) await place(dave, [{ sku, quantity: 1 }]);
      // Same millisecond for all: only the order id tells them apart.
      await sql`update orders set created_at = '2030-01-01T00:00:00.000Z'
        where customer_id = ${dave.userId}`.execute(t.storage.db);
      const ids: string[] = [];
      let pageToken = '';
      do {
        const page = await t.client.listOrders({ pageSize: 2, pageToken }, dave.auth);
        ids.push(...page.orders.map((o) => o.orderId));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      expect(ids).toHaveLength(5);
      expect(ids).toEqual([...ids].sort().reverse());
    });

    it('refuses a bad page size or a token it did not issue', async () => {
      const big = await failure(t.client.listOrders({ pageSize: 101, pageToken: '' }, alice.auth));
      expect(big.code).toBe(Code.InvalidArgument);
      const negative = await failure(
        t.client.listOrders({ pageSize: -1, pageToken: '' }, alice.auth),
      );
      expect(negative.code).toBe(Code.InvalidArgument);
      for (const pageToken of ['garbage!', 'Zm9v', Buffer.from('1.x').toString('base64url')]) {
        const err = await failure(t.client.listOrders({ pageSize: 2, pageToken }, alice.auth));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(errorInfo(err).violations).toEqual([
          {
            field: 'page_token',
            description: 'is not a token from a previous ListOrders response',
          },
        ]);
      }
    });
  });

  describe('CancelOrder', () => {
    it('cancels the owner’s order once, writing OrderCancelled with the placed lines and total', async () => {
      const a = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 250 });
      const b = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 1_000 });
      const order = await place(alice, [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 1 },
      ]);
      const cancelled = await t.client.cancelOrder({ orderId: order.orderId }, alice.auth);
      expect(cancelled.order).toEqual({ ...order, status: OrderStatus.CANCELLED });

      const again = await t.client.cancelOrder({ orderId: order.orderId }, alice.auth);
      expect(again.order).toEqual(cancelled.order);
      expect((await t.client.getOrder({ orderId: order.orderId }, alice.auth)).order?.status).toBe(
        OrderStatus.CANCELLED,
      );

      const events = await outboxEventsFor(t.storage, order.orderId);
      expect(events.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
      const [placedEvent, cancelledEvent] = events;
      if (placedEvent?.type !== 'OrderPlaced' || cancelledEvent?.type !== 'OrderCancelled') {
        throw new Error('events out of order');
      }
      expect(cancelledEvent.key).toBe(order.orderId);
      expect(cancelledEvent.message.lines).toEqual(placedEvent.message.lines);
      expect(cancelledEvent.message.total).toEqual(placedEvent.message.total);
      expect(cancelledEvent.message.total).toMatchObject(eur(1_500));
      expect(cancelledEvent.message.placedAt).toEqual(placedEvent.message.placedAt);
      expect(timestampDate(cancelledEvent.message.cancelledAt!).getTime()).toBeGreaterThanOrEqual(
        timestampDate(placedEvent.message.placedAt!).getTime(),
      );
    });

    it('answers NOT_FOUND for another customer’s order and leaves it placed', async () => {
      const sku = await inventory.newProduct(5);
      const order = await place(alice, [{ sku, quantity: 1 }]);
      const err = await failure(t.client.cancelOrder({ orderId: order.orderId }, bob.auth));
      expect(err.code).toBe(Code.NotFound);
      expect((await t.client.getOrder({ orderId: order.orderId }, alice.auth)).order?.status).toBe(
        OrderStatus.PLACED,
      );
      expect(await outboxEventsFor(t.storage, order.orderId)).toHaveLength(1);
    });

    it('gives the sold stock of a cancelled order back to the inventory', async () => {
      const a = await inventory.newProduct(10, { currencyCode: 'EUR', cents: 300 });
      const b = await inventory.newProduct(4, { currencyCode: 'EUR', cents: 50 });
      const order = await place(alice, [
        { sku: a, quantity: 3 },
        { sku: b, quantity: 4 },
      ]);
      expect(await inventory.available(a)).toBe(7);
      expect(await inventory.available(b)).toBe(0);

      await t.client.cancelOrder({ orderId: order.orderId }, alice.auth);

      // Back before the answer: the cancel gave the stock back itself.
      expect(await inventory.available(a)).toBe(10);
      expect(await inventory.available(b)).toBe(4);
      expect(await inventory.reservation(order.orderId)).toEqual({
        status: 'returned',
        owner_user_id: alice.userId,
      });
      const row = await t.storage.db
        .selectFrom('orders')
        .select(['status', 'reservation_committed', 'stock_returned_at'])
        .where('order_id', '=', order.orderId)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'cancelled', reservation_committed: true });
      expect(row.stock_returned_at).not.toBeNull();
      expect((await outboxEventsFor(t.storage, order.orderId)).map((e) => e.type)).toEqual([
        'OrderPlaced',
        'OrderCancelled',
      ]);
      // Nothing left for the settler, and cancelling again returns nothing twice.
      expect(await t.store.pendingReturns(0, 1_000)).not.toContainEqual(
        expect.objectContaining({ orderId: order.orderId }),
      );
      expect(await t.settler.settle()).toMatchObject({ returned: 0 });
      await t.client.cancelOrder({ orderId: order.orderId }, alice.auth);
      expect(await inventory.available(a)).toBe(10);
      // The stock is sellable again.
      const again = await place(bob, [{ sku: b, quantity: 4 }]);
      expect(again.status).toBe(OrderStatus.PLACED);
    });

    it('records sold stock it could not give back yet, and the settler gives it back later', async () => {
      const sku = await inventory.newProduct(5);
      const order = await place(alice, [{ sku, quantity: 2 }]);
      inventory.proxy.refuse(inventoryPath('returnReservation'));
      const cancelled = await t.client.cancelOrder({ orderId: order.orderId }, alice.auth);
      // The cancellation stands even though the stock could not go back.
      expect(cancelled.order?.status).toBe(OrderStatus.CANCELLED);
      const row = () =>
        t.storage.db
          .selectFrom('orders')
          .select(['status', 'reservation_committed', 'stock_returned_at'])
          .where('order_id', '=', order.orderId)
          .executeTakeFirstOrThrow();
      expect(await row()).toEqual({
        status: 'cancelled',
        reservation_committed: true,
        stock_returned_at: null,
      });
      expect(await t.store.pendingReturns(0, 1_000)).toContainEqual({
        orderId: order.orderId,
        reservationCommitted: true,
      });
      expect(await inventory.available(sku)).toBe(3);
      expect(await t.settler.settle()).toMatchObject({ returned: 0 });

      inventory.proxy.reset();
      expect(await t.settler.settle()).toMatchObject({ returned: 1 });
      expect((await row()).stock_returned_at).not.toBeNull();
      expect(await inventory.available(sku)).toBe(5);
      expect(await inventory.reservation(order.orderId)).toMatchObject({ status: 'returned' });
      expect(await t.settler.settle()).toMatchObject({ returned: 0 });
      expect(await inventory.available(sku)).toBe(5);
    });
  });
});
