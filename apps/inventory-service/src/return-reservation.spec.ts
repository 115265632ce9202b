import { Code } from '@connectrpc/connect';
import { sql } from '@switchboard/storage';
import { createReservationLedger } from './create-reservation-ledger';
import {
  EVENT_SOURCE,
  as,
  errorInfo,
  failure,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';
import { createStockFixtures } from './testing/create-stock-fixtures';
import { readProductEvents } from './testing/read-product-events';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('InventoryService ReturnReservation', () => {
  let t: InventoryTestServer;
  const { newProduct, stock, available, reservation } = createStockFixtures(() => t, {
    skuPrefix: 'RET-',
    name: (n) => `Returnable ${n}`,
    unitPrice: { currencyCode: 'EUR', amountMinor: 500n },
  });
  const events = (sku: string) => readProductEvents(t.storage.db, sku);
  type Items = { sku: string; quantity: number }[];
  const reserve = (reservationId: string, items: Items, customerId = 'u-alice') =>
    t.client.reserveStock({ reservationId, items, customerId }, as.service);
  /** A committed reservation: the stock is sold. */
  const sell = async (reservationId: string, items: Items) => {
    await reserve(reservationId, items);
    await t.client.commitReservation({ reservationId }, as.service);
  };
  const returnIt = (
    reservationId: string,
    who: { headers?: Record<string, string> } = as.service,
  ) => t.client.returnReservation({ reservationId }, who);

  beforeAll(async () => {
    // A pool: the race below wants returns and reservations really in parallel.
    t = await startInventoryTestServer({ poolSize: 10 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('puts the sold stock back on hand and announces each product as it now is', async () => {
    const a = await newProduct(10);
    const b = await newProduct(5);
    await sell('ret-1', [
      { sku: b, quantity: 2 },
      { sku: a, quantity: 3 },
    ]);
    expect(await stock(a)).toEqual({ on_hand: 7, reserved: 0 });
    expect(await stock(b)).toEqual({ on_hand: 3, reserved: 0 });
    // Someone else holds some of a meanwhile: a return must not touch held stock.
    await reserve('ret-1-other', [{ sku: a, quantity: 1 }], 'u-bob');

    await returnIt('ret-1');

    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 1 });
    expect(await stock(b)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await available(a)).toBe(9);
    expect(await available(b)).toBe(5);
    const row = await reservation('ret-1');
    expect(row?.status).toBe('returned');
    expect(row?.returned_at).toBeInstanceOf(Date);
    // The creation's event, then the return's, with the availability after it.
    const ofA = await events(a);
    const ofB = await events(b);
    expect(ofA.map((e) => e.event.availableQuantity)).toEqual([10, 9]);
    expect(ofB.map((e) => e.event.availableQuantity)).toEqual([5, 5]);
    expect(ofA[1]).toMatchObject({
      row: { topic: 'catalog.products.v1' },
      headers: { ce_source: EVENT_SOURCE },
      event: { sku: a, name: expect.stringContaining('Returnable') },
    });
  });

  it('is idempotent: a second return adds nothing and announces nothing', async () => {
    const a = await newProduct(10);
    await sell('ret-twice', [{ sku: a, quantity: 4 }]);
    await returnIt('ret-twice');
    await returnIt('ret-twice');
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await events(a)).toHaveLength(2);
    expect((await reservation('ret-twice'))?.status).toBe('returned');
  });

  it('returns once when the same return arrives many times at once', async () => {
    const a = await newProduct(20);
    await sell('ret-burst', [{ sku: a, quantity: 6 }]);
    await Promise.all(range(10).map(() => returnIt('ret-burst')));
    expect(await stock(a)).toEqual({ on_hand: 20, reserved: 0 });
    expect(await events(a)).toHaveLength(2);
  });

  it('refuses a held, released or expired reservation with FAILED_PRECONDITION and changes nothing', async () => {
    const a = await newProduct(10);
    await reserve('ret-held', [{ sku: a, quantity: 1 }]);
    await reserve('ret-released', [{ sku: a, quantity: 2 }]);
    await t.client.releaseReservation({ reservationId: 'ret-released' }, as.service);
    await reserve('ret-expired', [{ sku: a, quantity: 3 }]);
    await t.storage.db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1_000) })
      .where('reservation_id', '=', 'ret-expired')
      .execute();
    expect(await t.ledger.expireDue()).toBeGreaterThanOrEqual(1);
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 1 });

    const messages: Record<string, string> = {
      'ret-held': 'cannot return reservation ret-held: it is held, not sold; release it instead',
      'ret-released':
        'cannot return reservation ret-released: it was released, so nothing was sold',
      'ret-expired': 'cannot return reservation ret-expired: it expired, so nothing was sold',
    };
    for (const [id, message] of Object.entries(messages)) {
      const err = await failure(returnIt(id));
      expect([err.code, err.rawMessage]).toEqual([Code.FailedPrecondition, message]);
      expect(errorInfo(err)).toMatchObject({
        code: 'RESERVATION_CLOSED',
        details: { reservationId: id },
      });
    }
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 1 });
    expect((await reservation('ret-held'))?.status).toBe('held');
    expect(await events(a)).toHaveLength(1);
  });

  it('lets no customer put sold stock back on the shelf, not even the buyer', async () => {
    const a = await newProduct(10);
    await sell('ret-alice', [{ sku: a, quantity: 2 }]);
    for (const who of [as.alice, as.bob, as.admin]) {
      const err = await failure(returnIt('ret-alice', who));
      expect(err.code).toBe(Code.PermissionDenied);
    }
    expect(await stock(a)).toEqual({ on_hand: 8, reserved: 0 });
    expect((await reservation('ret-alice'))?.status).toBe('committed');
    await returnIt('ret-alice');
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('answers NOT_FOUND for an unknown id, INVALID_ARGUMENT for a bad one, UNAUTHENTICATED without a token', async () => {
    const unknown = await failure(returnIt('never-made'));
    expect([unknown.code, errorInfo(unknown).code]).toEqual([
      Code.NotFound,
      'RESERVATION_NOT_FOUND',
    ]);
    const empty = await failure(returnIt(''));
    expect([empty.code, empty.rawMessage]).toEqual([
      Code.InvalidArgument,
      'reservation_id: is required',
    ]);
    const bad = await failure(returnIt('has space'));
    expect(bad.rawMessage).toContain('reservation_id: must be 1-128 characters');
    const anonymous = await failure(returnIt('never-made', as.anonymous));
    expect(anonymous.code).toBe(Code.Unauthenticated);
    const forged = await failure(returnIt('never-made', as.forged));
    expect(forged.code).toBe(Code.Unauthenticated);
  });

  it('closes the reservation for good: no commit, release or replay after a return', async () => {
    const a = await newProduct(10);
    const items = [{ sku: a, quantity: 3 }];
    await sell('ret-final', items);
    await returnIt('ret-final');
    const calls = {
      commit: t.client.commitReservation({ reservationId: 'ret-final' }, as.service),
      release: t.client.releaseReservation({ reservationId: 'ret-final' }, as.service),
      replay: reserve('ret-final', items),
    };
    for (const [name, call] of Object.entries(calls)) {
      const err = await failure(call);
      expect([name, err.code, errorInfo(err).code]).toEqual([
        name,
        Code.FailedPrecondition,
        'RESERVATION_CLOSED',
      ]);
      expect(errorInfo(err).details).toMatchObject({ status: 'returned' });
    }
    // The stock was back once, and is still: nothing above sold or returned it again.
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('loses the stock change and its events together when the transaction rolls back', async () => {
    const a = await newProduct(10);
    await sell('ret-rollback', [{ sku: a, quantity: 4 }]);
    const attempt = t.storage.db.transaction().execute(async (trx) => {
      const ledger = createReservationLedger({ db: trx, ttlMs: 60_000, source: EVENT_SOURCE });
      await ledger.returnCommitted('ret-rollback', { userId: 'u-alice', anyReservation: false });
      // Inside the transaction the stock is back and its event written…
      const inside = await trx.selectFrom('outbox').select('id').where('key', '=', a).execute();
      expect(inside).toHaveLength(2);
      throw new Error('something after the return failed');
    });
    await expect(attempt).rejects.toThrow('something after the return failed');
    // …and after the rollback none of it is.
    expect(await stock(a)).toEqual({ on_hand: 6, reserved: 0 });
    expect(await events(a)).toHaveLength(1);
    expect((await reservation('ret-rollback'))?.status).toBe('committed');
    await returnIt('ret-rollback');
    expect(await stock(a)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('runs alongside reservations, commits and releases of the same skus without deadlock or drift', async () => {
    // Several skus listed in different orders: only the shared lock order
    // (reservation, then products by sku) keeps these from deadlocking.
    const skus = [await newProduct(200), await newProduct(200), await newProduct(200)];
    const lines = (i: number) =>
      (i % 2 === 0 ? [...skus] : [...skus].reverse()).map((sku) => ({ sku, quantity: 2 }));
    for (const i of range(12)) await sell(`race-sold-${i}`, lines(i));
    const work = [
      ...range(12).map((i) => returnIt(`race-sold-${i}`)),
      ...range(12).map((i) => sell(`race-new-${i}`, lines(i + 1))),
      ...range(6).map(async (i) => {
        await reserve(`race-gone-${i}`, lines(i));
        await t.client.releaseReservation({ reservationId: `race-gone-${i}` }, as.service);
      }),
    ];
    await Promise.all(work);
    // 12 sold and returned, 12 sold, 6 held and released: 200 - 12 * 2 each.
    for (const sku of skus) expect(await stock(sku)).toEqual({ on_hand: 176, reserved: 0 });
    const returned = await sql<{ count: string }>`
      select count(*)::text as count from reservations
      where status = 'returned' and reservation_id like 'race-sold-%'`.execute(t.storage.db);
    expect(returned.rows[0]?.count).toBe('12');
  });
});
