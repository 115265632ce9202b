import { Code } from '@connectrpc/connect';
import { OrderStatus } from '@switchboard/contracts';
import { sql } from '@switchboard/storage';
import {
  errorInfo,
  eventually,
  failure,
  inventoryPath,
  outboxEventsFor,
  refuseOrderLines,
  shareNeighbours,
  startInventoryNeighbour,
  startOrderTestServer,
  type AuthNeighbour,
  type Customer,
  type InventoryNeighbour,
  type OrderTestServer,
} from './testing/order-test-harness';
import { requestHash } from './validate-order-requests';

/**
 * What PlaceOrder does when something fails part-way: the database after the
 * allocation, inventory being slow or down, a request dying between its
 * steps, orders placed before allocation was one step (commit pending, a
 * reservation lapsing), a request dying while it holds a key.
 */
const ALLOCATE = inventoryPath('allocateStock');
const VOID = inventoryPath('voidAllocation');
const COMMIT = inventoryPath('commitReservation');

let auth: AuthNeighbour;
/** Call options as the order service itself, which another replica would be. */
const asService = async () => ({ headers: { authorization: await auth.identity.authorization() } });
let inventory: InventoryNeighbour;
shareNeighbours((n) => ({ auth, inventory } = n));

describe('OrderService failures', () => {
  let t: OrderTestServer;
  let alice: Customer;

  beforeAll(async () => {
    t = await startOrderTestServer(auth, inventory, {
      reserveTimeoutMs: 800,
      staleAfterMs: 1_500,
    });
    alice = await auth.newCustomer('alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  const orderCount = async (customerId: string) =>
    (
      await t.storage.db
        .selectFrom('orders')
        .select('order_id')
        .where('customer_id', '=', customerId)
        .execute()
    ).length;
  const orderExists = async (orderId: string) =>
    (await t.storage.db
      .selectFrom('orders')
      .select('order_id')
      .where('order_id', '=', orderId)
      .executeTakeFirst()) !== undefined;
  const orderRow = (orderId: string) =>
    t.storage.db
      .selectFrom('orders')
      .select(['status', 'reservation_committed', 'stock_returned_at'])
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
  /** Reservation ids inventory did not have before `known`: what a failed request left there. */
  const newReservationIds = async (known: readonly string[]) =>
    (await inventory.reservationIds()).filter((id) => !known.includes(id));
  /** A late AllocateStock of a voided order id, as the delayed one arrives: refused, nothing sold. */
  const expectFenced = async (orderId: string, sku: string, quantity: number) => {
    const late = await failure(
      inventory.client.allocateStock(
        { orderId, items: [{ sku, quantity }], customerId: alice.userId },
        await asService(),
      ),
    );
    expect(errorInfo(late).code).toBe('RESERVATION_CLOSED');
    expect(await inventory.reservation(orderId)).toMatchObject({ status: 'released' });
  };
  /**
   * An order as the version before AllocateStock placed it: stock held by
   * ReserveStock, the order written, the commit still to come.
   */
  const placedBeforeAllocation = async (
    target: { storage: OrderTestServer['storage']; store: OrderTestServer['store'] },
    neighbour: InventoryNeighbour,
    sku: string,
    quantity: number,
  ) => {
    const orderId = crypto.randomUUID();
    await neighbour.client.reserveStock(
      { reservationId: orderId, items: [{ sku, quantity }], customerId: alice.userId },
      await asService(),
    );
    await target.store.insertPlaced(target.storage.db, {
      orderId,
      customerId: alice.userId,
      currencyCode: 'EUR',
      lines: [{ sku, quantity, unitPriceMinor: 1_000n }],
    });
    return orderId;
  };

  describe('compensation', () => {
    it('releases the reservation and writes nothing when the order cannot be stored', async () => {
      const sku = await inventory.newProduct(5);
      // A real failure after the reservation: the database refuses this sku's order line.
      const refused = await refuseOrderLines(t.storage.db, 'refuse_poisoned_line', sku);
      try {
        const before = await orderCount(alice.userId);
        const key = `compensate-${Date.now()}`;
        const err = await failure(
          t.client.placeOrder({ items: [{ sku, quantity: 2 }] }, alice.withKey(key)),
        );
        expect(err.code).toBe(Code.Internal);
        // Given back before the answer, not by the settler later.
        expect(await inventory.available(sku)).toBe(5);
        expect(await orderCount(alice.userId)).toBe(before);
        const outbox = await t.storage.db.selectFrom('outbox').select('key').execute();
        const reservationIds = await inventory.reservationsOf(sku);
        expect(reservationIds).toHaveLength(1);
        const released = reservationIds[0]!;
        // Allocated (sold at once), so it came back by ReturnReservation.
        expect(await inventory.reservation(released)).toMatchObject({ status: 'returned' });
        expect(outbox.map((r) => r.key)).not.toContain(released);

        // The key was given back: once the database accepts the line, the same key places it.
        await refused.lift();
        const placed = await t.client.placeOrder(
          { items: [{ sku, quantity: 2 }] },
          alice.withKey(key),
        );
        expect(placed.order?.status).toBe(OrderStatus.PLACED);
        expect(placed.order?.orderId).not.toBe(released);
        expect(await inventory.available(sku)).toBe(3);
      } finally {
        await refused.remove();
      }
    });
  });

  describe('deadlines', () => {
    /** A product of 5 on an inventory that answers AllocateStock 1.5 s late; what was before. */
    const slowAllocation = async () => {
      const sku = await inventory.newProduct(5);
      const before = await orderCount(alice.userId);
      const known = await inventory.reservationIds();
      inventory.proxy.delay(ALLOCATE, 1_500);
      return { sku, before, known };
    };

    it('answers DEADLINE_EXCEEDED when inventory is slower than the reserve budget, and no order stays', async () => {
      const { sku, before, known } = await slowAllocation();
      const started = Date.now();
      const err = await failure(
        t.client.placeOrder(
          { items: [{ sku, quantity: 2 }] },
          { ...alice.auth, timeoutMs: 10_000 },
        ),
      );
      const elapsed = Date.now() - started;
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(errorInfo(err).code).toBe('DEPENDENCY_TIMEOUT');
      // The 800 ms budget, not the caller's 10 s and not inventory's 1.5 s.
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(1_450);
      // The request voided its order id before answering: the allocation,
      // whenever it arrives, is refused, and nothing was ever sold.
      const voided = await newReservationIds(known);
      expect(voided).toHaveLength(1);
      await expectFenced(voided[0]!, sku, 2);
      expect(await inventory.reservationsOf(sku)).toEqual([]);
      expect(await inventory.available(sku)).toBe(5);
      expect(await orderCount(alice.userId)).toBe(before);
    });

    it('never outlives the caller’s own deadline', async () => {
      const { sku, before, known } = await slowAllocation();
      const started = Date.now();
      const err = await failure(
        t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, { ...alice.auth, timeoutMs: 400 }),
      );
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(700);
      // The void is not bound by the caller's deadline: it lands, and fences the id.
      await eventually(
        async () => (await newReservationIds(known)).length === 1,
        'the order id is voided',
        10_000,
      );
      const [voided] = await newReservationIds(known);
      await expectFenced(voided!, sku, 1);
      await eventually(
        async () => (await orderCount(alice.userId)) === before,
        'the pending order is gone',
      );
      expect(await inventory.available(sku)).toBe(5);
    });
  });

  describe('inventory down', () => {
    let spare: InventoryNeighbour;
    let s: OrderTestServer;
    beforeAll(async () => {
      spare = await startInventoryNeighbour(auth);
      // Straight to the process: this is about the real channel losing its server.
      s = await startOrderTestServer(auth, spare, { inventoryAddr: spare.processAddress });
    });
    afterAll(async () => {
      await s?.close();
      await spare?.close();
    });

    it('answers UNAVAILABLE quickly and writes no order; the same key works once it is back', async () => {
      const sku = await spare.newProduct(5);
      await s.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.auth); // channel is up
      await spare.stop();
      const key = `while-down-${Date.now()}`;
      try {
        const started = Date.now();
        const err = await failure(
          s.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.withKey(key)),
        );
        expect(err.code).toBe(Code.Unavailable);
        expect(errorInfo(err).code).toBe('DEPENDENCY_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(1_500);
        // No order: only the first one, and the failed one's row given up
        // (abandoned), waiting for inventory's word on its id; its key is free.
        const rows = await s.storage.db.selectFrom('orders').select(['status']).execute();
        expect(rows.filter((r) => r.status !== 'abandoned')).toHaveLength(1);
        expect(rows.filter((r) => r.status === 'abandoned')).toHaveLength(1);
        expect(await s.storage.db.selectFrom('idempotency_keys').selectAll().execute()).toEqual([]);
      } finally {
        await spare.start();
      }
      // The client retries with its key until the channel has reconnected.
      let placed: Awaited<ReturnType<typeof s.client.placeOrder>> | undefined;
      await eventually(async () => {
        placed = await s.client
          .placeOrder({ items: [{ sku, quantity: 1 }] }, alice.withKey(key))
          .catch(() => undefined);
        return placed !== undefined;
      }, 'an order once inventory is back');
      expect(placed?.order?.status).toBe(OrderStatus.PLACED);
      expect(await spare.available(sku)).toBe(3);
      // With inventory back the settler voids the given-up ids (the retries
      // while the channel reconnected gave up theirs too), which sold nothing.
      const givenUp = (
        await s.storage.db
          .selectFrom('orders')
          .select('order_id')
          .where('status', '=', 'abandoned')
          .execute()
      ).length;
      expect(givenUp).toBeGreaterThanOrEqual(1);
      expect(await s.settler.settle()).toMatchObject({ placed: 0, discarded: givenUp });
      const left = await s.storage.db.selectFrom('orders').select(['status']).execute();
      expect(left.map((r) => r.status)).toEqual(['placed', 'placed']);
      expect(await spare.available(sku)).toBe(3);
    });
  });

  describe('a request dying between its steps', () => {
    /** What a request leaves when it dies after step 1: its pending order, holding its key. */
    const diedAfterStep1 = async (key: string, items: { sku: string; quantity: number }[]) => {
      const claim = await t.keys.claim(
        alice.userId,
        key,
        requestHash(items),
        new AbortController().signal,
        { pendingOrder: true },
      );
      if (claim.kind !== 'claimed') throw new Error('the key was not free');
      return claim.orderId;
    };

    it('places an order whose stock was allocated before the crash, with its event exactly once', async () => {
      const sku = await inventory.newProduct(5);
      const key = `died-after-allocation-${Date.now()}`;
      const items = [{ sku, quantity: 2 }];
      const orderId = await diedAfterStep1(key, items);
      await inventory.client.allocateStock(
        { orderId, items, customerId: alice.userId },
        await asService(),
      );
      // Pending is not an order yet: no read shows it.
      expect(await failure(t.client.getOrder({ orderId }, alice.auth))).toMatchObject({
        code: Code.NotFound,
      });

      expect(await t.settler.settle()).toMatchObject({ placed: 1, discarded: 0 });
      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 0 });
      const { order } = await t.client.getOrder({ orderId }, alice.auth);
      expect(order).toMatchObject({ status: OrderStatus.PLACED, customerId: alice.userId });
      expect(order?.items.map((l) => [l.sku, l.quantity, l.unitPrice?.amountMinor])).toEqual([
        [sku, 2, 1_000n],
      ]);
      expect(await orderRow(orderId)).toMatchObject({ reservation_committed: true });
      const events = await outboxEventsFor(t.storage, orderId);
      expect(events.map((e) => e.type)).toEqual(['OrderPlaced']);
      expect(events[0]?.message.total?.amountMinor).toBe(2_000n);
      expect(await inventory.available(sku)).toBe(3);
      expect(await inventory.reservation(orderId)).toMatchObject({ status: 'committed' });
      // The key now answers with that order, selling nothing more.
      const replayed = await t.client.placeOrder({ items }, alice.withKey(key));
      expect(replayed.order).toEqual(order);
      expect(await inventory.available(sku)).toBe(3);
    });

    it('voids an order whose allocation never arrived: a late one is refused, the key is free', async () => {
      const sku = await inventory.newProduct(5);
      const key = `died-before-allocation-${Date.now()}`;
      const items = [{ sku, quantity: 2 }];
      const orderId = await diedAfterStep1(key, items);

      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 1 });
      expect(await orderExists(orderId)).toBe(false);
      await expectFenced(orderId, sku, 2);
      expect(await inventory.available(sku)).toBe(5);
      expect(await outboxEventsFor(t.storage, orderId)).toEqual([]);
      // Given back with its order: the same key places a new one at once.
      const { order } = await t.client.placeOrder({ items }, alice.withKey(key));
      expect(order?.orderId).not.toBe(orderId);
      expect(order?.status).toBe(OrderStatus.PLACED);
      expect(await inventory.available(sku)).toBe(3);
    });

    it('a retry taking over the key of a request that died after allocating gives that stock back', async () => {
      const sku = await inventory.newProduct(5);
      const key = `died-and-taken-over-${Date.now()}`;
      const items = [{ sku, quantity: 2 }];
      const deadOrderId = await diedAfterStep1(key, items);
      await inventory.client.allocateStock(
        { orderId: deadOrderId, items, customerId: alice.userId },
        await asService(),
      );
      expect(await inventory.available(sku)).toBe(3);
      await sql`update idempotency_keys set claimed_at = now() - interval '1 minute'
        where idempotency_key = ${key}`.execute(t.storage.db);

      const { order } = await t.client.placeOrder({ items }, alice.withKey(key));
      expect(order?.orderId).not.toBe(deadOrderId);
      expect(order?.status).toBe(OrderStatus.PLACED);
      // The dead request's sale went back before this one was answered; its row is gone.
      expect(await inventory.reservation(deadOrderId)).toMatchObject({ status: 'returned' });
      expect(await inventory.available(sku)).toBe(3);
      expect(await orderExists(deadOrderId)).toBe(false);
      expect(await outboxEventsFor(t.storage, deadOrderId)).toEqual([]);
      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 0 });
    });

    it('gives back the stock of an order it could not place once inventory answers again', async () => {
      const sku = await inventory.newProduct(5);
      const known = await inventory.reservationIds();
      // Step 3 fails for good, and inventory cannot be asked to take the stock back.
      const refused = await refuseOrderLines(t.storage.db, 'refuse_placing', sku);
      inventory.proxy.refuse(VOID);
      try {
        const err = await failure(
          t.client.placeOrder({ items: [{ sku, quantity: 2 }] }, alice.auth),
        );
        expect(err.code).toBe(Code.Internal);
      } finally {
        await refused.remove();
      }
      const [orderId] = await newReservationIds(known);
      expect(await inventory.reservation(orderId!)).toMatchObject({ status: 'committed' });
      expect(await orderRow(orderId!)).toMatchObject({ status: 'abandoned' });
      expect(await inventory.available(sku)).toBe(3);

      // Still unreachable: it waits.
      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 0 });
      expect(await inventory.available(sku)).toBe(3);

      inventory.proxy.reset();
      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 1 });
      expect(await inventory.available(sku)).toBe(5);
      expect(await inventory.reservation(orderId!)).toMatchObject({ status: 'returned' });
      expect(
        await t.storage.db
          .selectFrom('orders')
          .select('order_id')
          .where('order_id', '=', orderId!)
          .execute(),
      ).toEqual([]);
      expect(await outboxEventsFor(t.storage, orderId!)).toEqual([]);
      expect(await t.settler.settle()).toMatchObject({ placed: 0, discarded: 0 });
    });
  });

  describe('orders placed before allocation was one step, their commit pending', () => {
    it('keeps the order with its stock held while the commit fails, and the settler commits it', async () => {
      const sku = await inventory.newProduct(5);
      inventory.proxy.refuse(COMMIT);
      const orderId = await placedBeforeAllocation(t, inventory, sku, 2);
      const { order } = await t.client.getOrder({ orderId }, alice.auth);
      expect(order?.status).toBe(OrderStatus.PLACED);
      expect(await orderRow(orderId)).toMatchObject({ reservation_committed: false });
      expect(await inventory.reservation(orderId)).toMatchObject({ status: 'held' });
      expect(await inventory.available(sku)).toBe(3);

      // Still down: the settler leaves it pending.
      expect(await t.settler.settle()).toMatchObject({ committed: 0, voided: 0 });
      expect(await orderRow(orderId)).toMatchObject({ reservation_committed: false });

      inventory.proxy.reset();
      expect(await t.settler.settle()).toMatchObject({ committed: 1 });
      expect(await orderRow(orderId)).toMatchObject({
        status: 'placed',
        reservation_committed: true,
      });
      expect(await inventory.reservation(orderId)).toMatchObject({
        status: 'committed',
        owner_user_id: alice.userId,
      });
      expect(await inventory.available(sku)).toBe(3);
    });

    it('releases the held stock when an order whose commit is pending is cancelled', async () => {
      const sku = await inventory.newProduct(5);
      inventory.proxy.refuse(COMMIT);
      const orderId = await placedBeforeAllocation(t, inventory, sku, 2);
      const cancelled = await t.client.cancelOrder({ orderId }, alice.auth);
      expect(cancelled.order?.status).toBe(OrderStatus.CANCELLED);
      expect(await inventory.available(sku)).toBe(5);
      expect(await inventory.reservation(orderId)).toMatchObject({ status: 'released' });
      expect((await orderRow(orderId)).stock_returned_at).not.toBeNull();

      inventory.proxy.reset();
      expect(await t.settler.settle()).toMatchObject({ committed: 0, voided: 0, returned: 0 });
      expect(await inventory.reservation(orderId)).toMatchObject({ status: 'released' });
    });

    it('returns the stock of a cancelled order whose commit landed after all', async () => {
      const sku = await inventory.newProduct(5);
      inventory.proxy.refuse(COMMIT);
      const orderId = await placedBeforeAllocation(t, inventory, sku, 2);
      expect(await orderRow(orderId)).toMatchObject({ reservation_committed: false });
      // The commit reached inventory after all and only its answer was lost: sold there.
      await inventory.client.commitReservation({ reservationId: orderId }, await asService());
      inventory.proxy.reset();

      await t.client.cancelOrder({ orderId }, alice.auth);
      expect(await inventory.available(sku)).toBe(5);
      expect(await inventory.reservation(orderId)).toMatchObject({ status: 'returned' });
      expect(await orderRow(orderId)).toMatchObject({
        status: 'cancelled',
        reservation_committed: true,
      });
      expect((await orderRow(orderId)).stock_returned_at).not.toBeNull();
    });

    it('takes a reservation another replica already returned as returned, never returning twice', async () => {
      const sku = await inventory.newProduct(5);
      inventory.proxy.refuse(COMMIT);
      const orderId = await placedBeforeAllocation(t, inventory, sku, 2);
      // Committed and already returned by a replica this one has not heard from.
      await inventory.client.commitReservation({ reservationId: orderId }, await asService());
      await inventory.client.returnReservation({ reservationId: orderId }, await asService());
      expect(await inventory.available(sku)).toBe(5);
      inventory.proxy.reset();

      await t.client.cancelOrder({ orderId }, alice.auth);
      expect(await inventory.available(sku)).toBe(5);
      expect((await orderRow(orderId)).stock_returned_at).not.toBeNull();
      expect(await t.settler.settle()).toMatchObject({ returned: 0 });
      expect(await inventory.available(sku)).toBe(5);
    });
  });

  describe('a reservation lapsing while inventory cannot commit', () => {
    // An inventory of its own with a short TTL and a busy sweeper: the lapse
    // happens the way it does in production, by time passing.
    let lapsing: InventoryNeighbour;
    let l: OrderTestServer;
    beforeAll(async () => {
      lapsing = await startInventoryNeighbour(auth, { ttlMs: 1_500, sweepIntervalMs: 100 });
      l = await startOrderTestServer(auth, lapsing);
    });
    afterAll(async () => {
      await l?.close();
      await lapsing?.close();
    });
    afterEach(() => lapsing.proxy.reset());

    it('cancels the order, with OrderCancelled, when its reservation lapsed before the commit', async () => {
      const sku = await lapsing.newProduct(5);
      lapsing.proxy.refuse(COMMIT);
      const orderId = await placedBeforeAllocation(l, lapsing, sku, 2);
      expect((await l.client.getOrder({ orderId }, alice.auth)).order?.status).toBe(
        OrderStatus.PLACED,
      );
      // Inventory could not commit past the TTL: its sweeper gave the stock back.
      await eventually(
        async () => (await lapsing.reservation(orderId))?.status === 'expired',
        'the sweeper expires the reservation',
      );
      expect(await lapsing.available(sku)).toBe(5);
      lapsing.proxy.reset();

      expect(await l.settler.settle()).toMatchObject({ committed: 0, voided: 1 });
      const row = await l.storage.db
        .selectFrom('orders')
        .select(['status', 'stock_returned_at'])
        .where('order_id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('cancelled');
      expect(row.stock_returned_at).not.toBeNull();
      expect((await outboxEventsFor(l.storage, orderId)).map((e) => e.type)).toEqual([
        'OrderPlaced',
        'OrderCancelled',
      ]);
      expect(await lapsing.available(sku)).toBe(5);
      expect(await l.settler.settle()).toMatchObject({ committed: 0, voided: 0 });
    });
  });

  describe('idempotency keys of requests that died', () => {
    it('waits for a live holder of the key until the caller’s deadline', async () => {
      const sku = await inventory.newProduct(5);
      const key = `held-${Date.now()}`;
      await t.storage.db
        .insertInto('idempotency_keys')
        .values({
          customer_id: alice.userId,
          idempotency_key: key,
          request_hash: requestHash([{ sku, quantity: 1 }]),
          order_id: crypto.randomUUID(),
          state: 'pending',
        })
        .execute();
      const started = Date.now();
      const err = await failure(
        t.client.placeOrder(
          { items: [{ sku, quantity: 1 }] },
          { ...alice.withKey(key), timeoutMs: 600 },
        ),
      );
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(await inventory.available(sku)).toBe(5);
    });

    it('takes over a stale claim, releasing what its dead holder reserved', async () => {
      const sku = await inventory.newProduct(5);
      const key = `stale-${Date.now()}`;
      const deadOrderId = crypto.randomUUID();
      // What a request that crashed after reserving leaves behind.
      await t.storage.db
        .insertInto('idempotency_keys')
        .values({
          customer_id: alice.userId,
          idempotency_key: key,
          request_hash: requestHash([{ sku, quantity: 2 }]),
          order_id: deadOrderId,
          state: 'pending',
        })
        .execute();
      await inventory.client.reserveStock(
        { reservationId: deadOrderId, items: [{ sku, quantity: 2 }], customerId: alice.userId },
        await asService(),
      );
      expect(await inventory.available(sku)).toBe(3);

      // Younger than the stale window: a retry waits for the holder (and gives up here).
      const early = await failure(
        t.client.placeOrder(
          { items: [{ sku, quantity: 2 }] },
          { ...alice.withKey(key), timeoutMs: 300 },
        ),
      );
      expect(early.code).toBe(Code.DeadlineExceeded);

      await sql`update idempotency_keys set claimed_at = now() - interval '1 minute'
        where idempotency_key = ${key}`.execute(t.storage.db);
      const { order } = await t.client.placeOrder(
        { items: [{ sku, quantity: 2 }] },
        alice.withKey(key),
      );
      expect(order?.orderId).not.toBe(deadOrderId);
      expect(await inventory.reservation(deadOrderId)).toMatchObject({ status: 'released' });
      expect(await inventory.available(sku)).toBe(3);
      const again = await t.client.placeOrder(
        { items: [{ sku, quantity: 2 }] },
        alice.withKey(key),
      );
      expect(again.order?.orderId).toBe(order?.orderId);
    });

    it('refuses to complete a claim another request took over', async () => {
      const key = `fenced-${Date.now()}`;
      const claim = await t.keys.claim(alice.userId, key, 'hash', new AbortController().signal);
      expect(claim.kind).toBe('claimed');
      if (claim.kind !== 'claimed') return;
      await sql`update idempotency_keys set claimed_at = now() - interval '1 minute'
        where idempotency_key = ${key}`.execute(t.storage.db);
      const takeover = await t.keys.claim(alice.userId, key, 'hash', new AbortController().signal);
      expect(takeover).toMatchObject({ kind: 'claimed', supersededOrderId: claim.orderId });

      await expect(
        t.storage.db
          .transaction()
          .execute((trx) => t.keys.complete(trx, alice.userId, key, claim.orderId)),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
    });

    it('purges keys past their retention, after which the key places a new order', async () => {
      const sku = await inventory.newProduct(5);
      const key = `old-${Date.now()}`;
      const first = await t.client.placeOrder(
        { items: [{ sku, quantity: 1 }] },
        alice.withKey(key),
      );
      await sql`update idempotency_keys set created_at = now() - interval '25 hours'
        where idempotency_key = ${key}`.execute(t.storage.db);
      expect((await t.settler.settle()).purgedKeys).toBeGreaterThanOrEqual(1);
      const second = await t.client.placeOrder(
        { items: [{ sku, quantity: 1 }] },
        alice.withKey(key),
      );
      expect(second.order?.orderId).not.toBe(first.order?.orderId);
      expect(await inventory.available(sku)).toBe(3);
    });
  });
});
