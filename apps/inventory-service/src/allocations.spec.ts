import { Code } from '@connectrpc/connect';
import {
  as,
  errorInfo,
  failure,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';
import { createStockFixtures } from './testing/create-stock-fixtures';

describe('InventoryService AllocateStock and VoidAllocation', () => {
  let t: InventoryTestServer;
  const { newProduct, stock, reservation } = createStockFixtures(() => t, {
    skuPrefix: 'ALLOC-',
    name: (n) => `Allocatable ${n}`,
    unitPrice: { currencyCode: 'EUR', amountMinor: 250n },
  });
  const allocate = (orderId: string, items: { sku: string; quantity: number }[]) =>
    t.client.allocateStock({ orderId, items, customerId: 'u-alice' }, as.service);

  beforeAll(async () => {
    t = await startInventoryTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sells the stock in one step, recorded as a committed reservation of the customer', async () => {
    const a = await newProduct(5);
    const b = await newProduct(5);
    const res = await allocate('order-1', [
      { sku: b, quantity: 2 },
      { sku: a, quantity: 1 },
    ]);
    expect(res.orderId).toBe('order-1');
    expect(res.items.map((i) => [i.sku, i.quantity, i.unitPrice?.amountMinor])).toEqual([
      [b, 2, 250n],
      [a, 1, 250n],
    ]);
    expect(await stock(a)).toEqual({ on_hand: 4, reserved: 0 });
    expect(await stock(b)).toEqual({ on_hand: 3, reserved: 0 });
    expect(await reservation('order-1')).toMatchObject({
      status: 'committed',
      owner_user_id: 'u-alice',
    });
  });

  it('answers a repeat with the first result and sells once; other items are refused', async () => {
    const sku = await newProduct(5);
    const first = await allocate('order-2', [{ sku, quantity: 2 }]);
    const again = await allocate('order-2', [{ sku, quantity: 2 }]);
    expect(again).toEqual(first);
    expect(await stock(sku)).toEqual({ on_hand: 3, reserved: 0 });
    const err = await failure(allocate('order-2', [{ sku, quantity: 3 }]));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(errorInfo(err).code).toBe('RESERVATION_MISMATCH');
    expect(await stock(sku)).toEqual({ on_hand: 3, reserved: 0 });
  });

  it('is all or nothing: a short line sells none, naming the shortfall', async () => {
    const a = await newProduct(5);
    const b = await newProduct(1);
    const err = await failure(
      allocate('order-3', [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 2 },
      ]),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(errorInfo(err)).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      preconditions: [{ type: 'STOCK', subject: b, description: 'requested 2, available 1' }],
    });
    expect(await stock(a)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await reservation('order-3')).toBeUndefined();
    const missing = await failure(allocate('order-3', [{ sku: 'NO-SUCH-SKU', quantity: 1 }]));
    expect(missing.code).toBe(Code.NotFound);
    expect(errorInfo(missing).code).toBe('PRODUCT_NOT_FOUND');
  });

  it('counts stock held by ReserveStock as taken', async () => {
    const sku = await newProduct(3);
    await t.client.reserveStock(
      { reservationId: 'held-4', items: [{ sku, quantity: 2 }], customerId: 'u-bob' },
      as.service,
    );
    const err = await failure(allocate('order-4', [{ sku, quantity: 2 }]));
    expect(errorInfo(err).code).toBe('INSUFFICIENT_STOCK');
    expect(await stock(sku)).toEqual({ on_hand: 3, reserved: 2 });
  });

  it('void of an id never allocated fences it: a late allocate is refused and sells nothing', async () => {
    const sku = await newProduct(5);
    expect(await t.client.voidAllocation({ orderId: 'order-5' }, as.service)).toMatchObject({
      allocated: false,
      items: [],
    });
    const late = await failure(allocate('order-5', [{ sku, quantity: 2 }]));
    expect(late.code).toBe(Code.FailedPrecondition);
    expect(errorInfo(late).code).toBe('RESERVATION_CLOSED');
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await reservation('order-5')).toMatchObject({ status: 'released' });
    // Idempotent.
    expect(await t.client.voidAllocation({ orderId: 'order-5' }, as.service)).toMatchObject({
      allocated: false,
    });
  });

  it('void of an allocated id answers its lines and changes nothing', async () => {
    const sku = await newProduct(5);
    await allocate('order-6', [{ sku, quantity: 2 }]);
    const res = await t.client.voidAllocation({ orderId: 'order-6' }, as.service);
    expect(res.allocated).toBe(true);
    expect(res.items.map((i) => [i.sku, i.quantity, i.unitPrice?.currencyCode])).toEqual([
      [sku, 2, 'EUR'],
    ]);
    expect(await stock(sku)).toEqual({ on_hand: 3, reserved: 0 });
    expect(await reservation('order-6')).toMatchObject({ status: 'committed' });
    // Cancelling gives it back the usual way, and then the id has nothing sold.
    await t.client.returnReservation({ reservationId: 'order-6' }, as.service);
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await t.client.voidAllocation({ orderId: 'order-6' }, as.service)).toMatchObject({
      allocated: false,
    });
    expect(errorInfo(await failure(allocate('order-6', [{ sku, quantity: 2 }]))).code).toBe(
      'RESERVATION_CLOSED',
    );
  });

  it('void of an id held by ReserveStock releases the hold', async () => {
    const sku = await newProduct(5);
    await t.client.reserveStock(
      { reservationId: 'order-7', items: [{ sku, quantity: 2 }], customerId: 'u-alice' },
      as.service,
    );
    expect(await t.client.voidAllocation({ orderId: 'order-7' }, as.service)).toMatchObject({
      allocated: false,
    });
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await reservation('order-7')).toMatchObject({ status: 'released' });
  });

  it('one of a concurrent allocate and void wins, and the stock agrees with the winner', async () => {
    const sku = await newProduct(50);
    const ids = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    await Promise.allSettled(
      ids.flatMap((id) => [
        allocate(id, [{ sku, quantity: 1 }]),
        t.client.voidAllocation({ orderId: id }, as.service),
      ]),
    );
    let sold = 0;
    for (const id of ids) {
      const res = await t.client.voidAllocation({ orderId: id }, as.service);
      if (res.allocated) sold++;
      expect((await reservation(id))?.status).toBe(res.allocated ? 'committed' : 'released');
    }
    expect(await stock(sku)).toEqual({ on_hand: 50 - sold, reserved: 0 });
  });

  it('refuses customers, and names bad fields', async () => {
    const sku = await newProduct(5);
    for (const call of [
      t.client.allocateStock(
        { orderId: 'order-8', items: [{ sku, quantity: 1 }], customerId: 'u-alice' },
        as.alice,
      ),
      t.client.voidAllocation({ orderId: 'order-8' }, as.alice),
    ]) {
      expect((await failure(call)).code).toBe(Code.PermissionDenied);
    }
    const bad = await failure(
      t.client.allocateStock({ orderId: '', items: [], customerId: '' }, as.service),
    );
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/order_id/);
    expect(bad.rawMessage).toMatch(/customer_id/);
    const badVoid = await failure(t.client.voidAllocation({ orderId: '' }, as.service));
    expect(badVoid.code).toBe(Code.InvalidArgument);
    expect(badVoid.rawMessage).toMatch(/order_id/);
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await reservation('order-8')).toBeUndefined();
  });
});
