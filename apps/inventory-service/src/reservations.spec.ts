import { Code } from '@connectrpc/connect';
import {
  as,
  errorInfo,
  failure,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';
import { createStockFixtures } from './testing/create-stock-fixtures';

const eur = (cents: number) => ({ currencyCode: 'EUR', amountMinor: BigInt(cents) });

describe('InventoryService stock and reservations', () => {
  let t: InventoryTestServer;
  const { stock, available, reservation, ...fixtures } = createStockFixtures(() => t, {
    skuPrefix: 'SKU-',
    name: (n) => `Product ${n}`,
    unitPrice: eur(1000),
  });
  const newProduct = (quantity: number, cents = 1000) => fixtures.newProduct(quantity, eur(cents));

  beforeAll(async () => {
    t = await startInventoryTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('CheckAvailability', () => {
    it('reports per item what is requested and available, and reserves nothing', async () => {
      const a = await newProduct(5);
      const b = await newProduct(1);
      const res = await t.client.checkAvailability(
        {
          items: [
            { sku: a, quantity: 3 },
            { sku: b, quantity: 2 },
          ],
        },
        as.alice,
      );
      expect(res.available).toBe(false);
      expect(res.items.map((i) => [i.sku, i.requestedQuantity, i.availableQuantity])).toEqual([
        [a, 3, 5],
        [b, 2, 1],
      ]);
      const ok = await t.client.checkAvailability({ items: [{ sku: a, quantity: 5 }] }, as.alice);
      expect(ok.available).toBe(true);
      expect(await stock(a)).toEqual({ on_hand: 5, reserved: 0 });
    });

    it('answers NOT_FOUND naming every unknown sku', async () => {
      const a = await newProduct(5);
      const err = await failure(
        t.client.checkAvailability(
          {
            items: [
              { sku: 'GHOST-1', quantity: 1 },
              { sku: a, quantity: 1 },
              { sku: 'GHOST-2', quantity: 1 },
            ],
          },
          as.alice,
        ),
      );
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage).toBe('products not found: GHOST-1, GHOST-2');
      const one = await failure(
        t.client.checkAvailability({ items: [{ sku: 'GHOST-3', quantity: 1 }] }, as.alice),
      );
      expect(one.rawMessage).toBe('product GHOST-3 not found');
    });

    it('rejects no items, over 100 items, quantities outside 1-1000 and duplicate skus', async () => {
      const a = await newProduct(5);
      const empty = await failure(t.client.checkAvailability({ items: [] }, as.alice));
      expect([empty.code, empty.rawMessage]).toEqual([
        Code.InvalidArgument,
        'items: must contain at least 1 item(s)',
      ]);
      const many = Array.from({ length: 101 }, (_, i) => ({ sku: `MANY-${i}`, quantity: 1 }));
      const tooMany = await failure(t.client.checkAvailability({ items: many }, as.alice));
      expect(tooMany.rawMessage).toBe('items: must contain no more than 100 item(s)');
      const quantities = await failure(
        t.client.checkAvailability(
          {
            items: [
              { sku: a, quantity: 0 },
              { sku: 'OTHER-1', quantity: 1001 },
            ],
          },
          as.alice,
        ),
      );
      expect((errorInfo(quantities).violations as { field: string }[]).map((v) => v.field)).toEqual(
        ['items[0].quantity', 'items[1].quantity'],
      );
      const dup = await failure(
        t.client.checkAvailability(
          {
            items: [
              { sku: a, quantity: 1 },
              { sku: a, quantity: 2 },
            ],
          },
          as.alice,
        ),
      );
      expect(dup.rawMessage).toBe(
        `items[1].sku: duplicates ${a}: list each sku once with the total quantity`,
      );
    });

    it('needs a token', async () => {
      const err = await failure(
        t.client.checkAvailability({ items: [{ sku: 'A-1', quantity: 1 }] }, as.anonymous),
      );
      expect(err.code).toBe(Code.Unauthenticated);
    });
  });

  describe('ReserveStock', () => {
    it('holds the stock, returns the prices of the moment, and records the caller', async () => {
      const a = await newProduct(10, 1290);
      const b = await newProduct(3, 590);
      const res = await t.client.reserveStock(
        {
          customerId: 'u-alice',
          reservationId: 'order-1',
          items: [
            { sku: b, quantity: 3 },
            { sku: a, quantity: 4 },
          ],
        },
        as.service,
      );
      expect(res.reservationId).toBe('order-1');
      expect(
        res.items.map((i) => [
          i.sku,
          i.quantity,
          i.unitPrice?.amountMinor,
          i.unitPrice?.currencyCode,
        ]),
      ).toEqual([
        [b, 3, 590n, 'EUR'],
        [a, 4, 1290n, 'EUR'],
      ]);
      expect(await available(a)).toBe(6);
      expect(await available(b)).toBe(0);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 4 });
      expect(await reservation('order-1')).toMatchObject({
        owner_user_id: 'u-alice',
        status: 'held',
      });
    });

    it('reserves nothing when one item is short, and lists every shortfall', async () => {
      const plenty = await newProduct(10);
      const short1 = await newProduct(2);
      const short2 = await newProduct(0);
      const err = await failure(
        t.client.reserveStock(
          {
            customerId: 'u-alice',
            reservationId: 'order-short',
            items: [
              { sku: plenty, quantity: 5 },
              { sku: short1, quantity: 3 },
              { sku: short2, quantity: 1 },
            ],
          },
          as.service,
        ),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(err.rawMessage).toBe(
        `insufficient stock, nothing reserved: ${short1} requested 3, available 2; ${short2} requested 1, available 0`,
      );
      expect(errorInfo(err)).toEqual({
        code: 'INSUFFICIENT_STOCK',
        details: {
          shortfalls: JSON.stringify([
            { sku: short1, requested: 3, available: 2 },
            { sku: short2, requested: 1, available: 0 },
          ]),
        },
        preconditions: [
          { type: 'STOCK', subject: short1, description: 'requested 3, available 2' },
          { type: 'STOCK', subject: short2, description: 'requested 1, available 0' },
        ],
      });
      expect(await stock(plenty)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await reservation('order-short')).toBeUndefined();
      // The id stays free: a later attempt with what is there succeeds.
      await t.client.reserveStock(
        {
          customerId: 'u-alice',
          reservationId: 'order-short',
          items: [{ sku: plenty, quantity: 5 }],
        },
        as.service,
      );
      expect(await stock(plenty)).toEqual({ on_hand: 10, reserved: 5 });
    });

    it('answers NOT_FOUND for an unknown sku and reserves nothing', async () => {
      const a = await newProduct(10);
      const err = await failure(
        t.client.reserveStock(
          {
            customerId: 'u-alice',
            reservationId: 'order-ghost',
            items: [
              { sku: a, quantity: 1 },
              { sku: 'GHOST-9', quantity: 1 },
            ],
          },
          as.service,
        ),
      );
      expect([err.code, err.rawMessage]).toEqual([Code.NotFound, 'product GHOST-9 not found']);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await reservation('order-ghost')).toBeUndefined();
    });

    it('replays a repeat: same answer, prices of the first call, no second decrement', async () => {
      const a = await newProduct(10, 1000);
      const b = await newProduct(10, 2000);
      const request = {
        reservationId: 'order-replay',
        items: [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 1 },
        ],
      };
      const first = await t.client.reserveStock({ ...request, customerId: 'u-alice' }, as.service);
      await t.client.updateProduct({ sku: a, unitPrice: eur(9999) }, as.admin);
      const again = await t.client.reserveStock({ ...request, customerId: 'u-alice' }, as.service);
      // Listed in another order, it is still the same request.
      const reordered = await t.client.reserveStock(
        { customerId: 'u-alice', ...request, items: [...request.items].reverse() },
        as.service,
      );
      expect(again).toEqual(first);
      expect(reordered).toEqual(first);
      expect(again.items[0]?.unitPrice?.amountMinor).toBe(1000n);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 2 });
      expect(await stock(b)).toEqual({ on_hand: 10, reserved: 1 });
    });

    it('holds once when the same request arrives many times at once', async () => {
      const a = await newProduct(10);
      const request = { reservationId: 'order-burst', items: [{ sku: a, quantity: 3 }] };
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.client.reserveStock({ ...request, customerId: 'u-alice' }, as.service),
        ),
      );
      expect(results.every((r) => r.items[0]?.quantity === 3)).toBe(true);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 3 });
    });

    it('refuses the same id with different items, or from another caller', async () => {
      const a = await newProduct(10);
      await t.client.reserveStock(
        {
          customerId: 'u-alice',
          reservationId: 'order-mismatch',
          items: [{ sku: a, quantity: 2 }],
        },
        as.service,
      );
      const different = await failure(
        t.client.reserveStock(
          {
            customerId: 'u-alice',
            reservationId: 'order-mismatch',
            items: [{ sku: a, quantity: 3 }],
          },
          as.service,
        ),
      );
      expect(different.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(different).code).toBe('RESERVATION_MISMATCH');
      expect(different.rawMessage).toContain('was made with different items');
      const stranger = await failure(
        t.client.reserveStock(
          {
            customerId: 'u-bob',
            reservationId: 'order-mismatch',
            items: [{ sku: a, quantity: 2 }],
          },
          as.service,
        ),
      );
      expect(stranger.code).toBe(Code.FailedPrecondition);
      expect(stranger.rawMessage).toBe(
        'reservation id order-mismatch is already used by another request; choose a new id',
      );
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 2 });
    });

    it('refuses to replay a released reservation', async () => {
      const a = await newProduct(10);
      const request = { reservationId: 'order-replay-released', items: [{ sku: a, quantity: 2 }] };
      await t.client.reserveStock({ ...request, customerId: 'u-alice' }, as.service);
      await t.client.releaseReservation({ reservationId: request.reservationId }, as.service);
      const err = await failure(
        t.client.reserveStock({ ...request, customerId: 'u-alice' }, as.service),
      );
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(err).code).toBe('RESERVATION_CLOSED');
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
    });

    it('validates the reservation id and items together, and needs a token', async () => {
      const err = await failure(
        t.client.reserveStock({ customerId: 'u-alice', reservationId: '', items: [] }, as.service),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(
        'reservation_id: is required; items: must contain at least 1 item(s)',
      );
      const bad = await failure(
        t.client.reserveStock(
          {
            customerId: 'u-alice',
            reservationId: 'has space',
            items: [{ sku: 'A-1', quantity: 1 }],
          },
          as.service,
        ),
      );
      expect(bad.rawMessage).toContain('reservation_id: must be 1-128 characters');
      const anon = await failure(
        t.client.reserveStock(
          { reservationId: 'r', items: [{ sku: 'A-1', quantity: 1 }] },
          as.anonymous,
        ),
      );
      expect(anon.code).toBe(Code.Unauthenticated);
    });
  });

  describe('CommitReservation and ReleaseReservation', () => {
    const reserve = async (id: string, sku: string, quantity: number) =>
      t.client.reserveStock(
        { reservationId: id, items: [{ sku, quantity }], customerId: 'u-alice' },
        as.service,
      );

    it('commit turns held stock into sold stock, and is idempotent', async () => {
      const a = await newProduct(10);
      await reserve('c-1', a, 4);
      await t.client.commitReservation({ reservationId: 'c-1' }, as.service);
      expect(await stock(a)).toEqual({ on_hand: 6, reserved: 0 });
      expect(await available(a)).toBe(6);
      await t.client.commitReservation({ reservationId: 'c-1' }, as.service);
      expect(await stock(a)).toEqual({ on_hand: 6, reserved: 0 });
      expect(await reservation('c-1')).toMatchObject({ status: 'committed' });
      // A replay of the reservation after commit still answers with what was reserved.
      expect((await reserve('c-1', a, 4)).items[0]?.quantity).toBe(4);
      expect(await stock(a)).toEqual({ on_hand: 6, reserved: 0 });
    });

    it('release gives the stock back, and is idempotent', async () => {
      const a = await newProduct(10);
      await reserve('r-1', a, 4);
      await t.client.releaseReservation({ reservationId: 'r-1' }, as.service);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
      await t.client.releaseReservation({ reservationId: 'r-1' }, as.service);
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
      expect(await reservation('r-1')).toMatchObject({ status: 'released' });
    });

    it('refuses to commit a released reservation and to release a committed one', async () => {
      const a = await newProduct(10);
      await reserve('x-released', a, 1);
      await t.client.releaseReservation({ reservationId: 'x-released' }, as.service);
      const commit = await failure(
        t.client.commitReservation({ reservationId: 'x-released' }, as.service),
      );
      expect([commit.code, errorInfo(commit).code]).toEqual([
        Code.FailedPrecondition,
        'RESERVATION_CLOSED',
      ]);
      expect(commit.rawMessage).toBe('cannot commit reservation x-released: it was released');

      await reserve('x-committed', a, 2);
      await t.client.commitReservation({ reservationId: 'x-committed' }, as.service);
      const release = await failure(
        t.client.releaseReservation({ reservationId: 'x-committed' }, as.service),
      );
      expect([release.code, errorInfo(release).code]).toEqual([
        Code.FailedPrecondition,
        'RESERVATION_CLOSED',
      ]);
      expect(await stock(a)).toEqual({ on_hand: 8, reserved: 0 });
    });

    it("refuses every person, the reservation's own customer and admins included", async () => {
      const a = await newProduct(10);
      await reserve('alice-only', a, 2);
      for (const who of [as.alice, as.bob, as.admin]) {
        for (const call of [
          t.client.commitReservation({ reservationId: 'alice-only' }, who),
          t.client.releaseReservation({ reservationId: 'alice-only' }, who),
          t.client.returnReservation({ reservationId: 'alice-only' }, who),
          t.client.reserveStock(
            { reservationId: 'alice-2', items: [{ sku: a, quantity: 8 }], customerId: 'u-alice' },
            who,
          ),
        ]) {
          const err = await failure(call);
          expect(err.code).toBe(Code.PermissionDenied);
          expect(err.rawMessage).toMatch(/is internal: only services may call it$/);
        }
      }
      expect(await stock(a)).toEqual({ on_hand: 10, reserved: 2 });
      await t.client.commitReservation({ reservationId: 'alice-only' }, as.service);
      expect(await stock(a)).toEqual({ on_hand: 8, reserved: 0 });
    });

    it('answers NOT_FOUND for an unknown id, INVALID_ARGUMENT for a bad one, UNAUTHENTICATED without a token', async () => {
      const unknown = await failure(
        t.client.commitReservation({ reservationId: 'never-made' }, as.service),
      );
      expect([unknown.code, errorInfo(unknown).code]).toEqual([
        Code.NotFound,
        'RESERVATION_NOT_FOUND',
      ]);
      const released = await failure(
        t.client.releaseReservation({ reservationId: 'never-made' }, as.service),
      );
      expect(released.code).toBe(Code.NotFound);
      const bad = await failure(t.client.releaseReservation({ reservationId: '' }, as.service));
      expect([bad.code, bad.rawMessage]).toEqual([
        Code.InvalidArgument,
        'reservation_id: is required',
      ]);
      const anon = await failure(t.client.commitReservation({ reservationId: 'x' }, as.anonymous));
      expect(anon.code).toBe(Code.Unauthenticated);
    });
  });
});
