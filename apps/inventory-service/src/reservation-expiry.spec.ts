import { setTimeout as sleep } from 'node:timers/promises';
import { Code } from '@connectrpc/connect';
import { createManualClock } from '@switchboard/timing';
import { createReservationLedger } from './create-reservation-ledger';
import { createReservationSweeper } from './create-reservation-sweeper';
import {
  EVENT_SOURCE,
  as,
  errorInfo,
  failure,
  silentLogger,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';
import { createStockFixtures } from './testing/create-stock-fixtures';

// The ledger measures the TTL with a manual clock that the tests step, so
// nothing here depends on how fast the machine is.
const TTL_MS = 15 * 60_000;
const SWEEP_INTERVAL_MS = 1_000;

/** Polls a database effect of background work; the deadline only bounds a broken test. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('reservation TTL', () => {
  let t: InventoryTestServer;
  const clock = createManualClock(Date.now());
  const { newProduct, stock, reservation } = createStockFixtures(() => t, {
    skuPrefix: 'TTL-',
    unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
  });
  const statusOf = async (id: string) => (await reservation(id))?.status;
  const reserve = (id: string, sku: string, quantity: number) =>
    t.client.reserveStock(
      { customerId: 'u-alice', reservationId: id, items: [{ sku, quantity }] },
      as.service,
    );

  beforeAll(async () => {
    t = await startInventoryTestServer({ ttlMs: TTL_MS, clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the sweeper loop gives back the stock of a reservation not committed in time', async () => {
    const sku = await newProduct(5);
    await reserve('ttl-swept', sku, 3);
    const sweeper = createReservationSweeper({
      ledger: t.ledger,
      intervalMs: SWEEP_INTERVAL_MS,
      logger: silentLogger(),
      clock,
    });
    try {
      // Not yet due, even a moment before the TTL: a sweep must leave it alone.
      await clock.advance(TTL_MS - 1);
      expect(await sweeper.sweep()).toBe(0);
      expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 3 });
      await clock.advance(1);
      sweeper.start();
      expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 3 }); // no round before the interval
      await clock.advance(SWEEP_INTERVAL_MS); // the loop's first round starts now
      await waitFor(async () => (await stock(sku)).reserved === 0);
    } finally {
      await sweeper.close();
    }
    expect(await statusOf('ttl-swept')).toBe('expired');
    expect((await t.client.getProduct({ sku }, as.alice)).product?.availableQuantity).toBe(5);

    const commit = await failure(
      t.client.commitReservation({ reservationId: 'ttl-swept' }, as.service),
    );
    expect([commit.code, errorInfo(commit).code]).toEqual([
      Code.FailedPrecondition,
      'RESERVATION_CLOSED',
    ]);
    expect(commit.rawMessage).toBe(
      'cannot commit reservation ttl-swept: it expired and its stock was released',
    );
    // Releasing what already went back is fine.
    await t.client.releaseReservation({ reservationId: 'ttl-swept' }, as.service);
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
  });

  it('a commit after the TTL is refused and releases the stock at once, sweeper or not', async () => {
    const sku = await newProduct(5);
    await reserve('ttl-late', sku, 2);
    await clock.advance(TTL_MS);
    const err = await failure(
      t.client.commitReservation({ reservationId: 'ttl-late' }, as.service),
    );
    expect(errorInfo(err).code).toBe('RESERVATION_CLOSED');
    expect(await stock(sku)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await statusOf('ttl-late')).toBe('expired');
    // A replay of the expired reservation does not pretend the stock is held.
    const replay = await failure(reserve('ttl-late', sku, 2));
    expect(errorInfo(replay).code).toBe('RESERVATION_CLOSED');
  });

  it('a reservation committed in time is not touched by a later sweep', async () => {
    const sku = await newProduct(5);
    await reserve('ttl-committed', sku, 2);
    await t.client.commitReservation({ reservationId: 'ttl-committed' }, as.service);
    await clock.advance(TTL_MS);
    expect(await t.ledger.expireDue()).toBe(0);
    expect(await stock(sku)).toEqual({ on_hand: 3, reserved: 0 });
    expect(await statusOf('ttl-committed')).toBe('committed');
  });

  it('two sweepers (two replicas) together expire each reservation exactly once', async () => {
    const sku = await newProduct(100);
    for (let i = 0; i < 40; i++) await reserve(`ttl-pair-${i}`, sku, 2);
    expect(await stock(sku)).toEqual({ on_hand: 100, reserved: 80 });
    await clock.advance(TTL_MS);
    const replicas = [1, 2].map(() =>
      createReservationSweeper({
        ledger: createReservationLedger({
          db: t.storage.db,
          ttlMs: TTL_MS,
          source: EVENT_SOURCE,
          clock,
        }),
        intervalMs: SWEEP_INTERVAL_MS,
        logger: silentLogger(),
        batchSize: 7,
      }),
    );
    const expired = await Promise.all(replicas.map((r) => r.sweep()));
    // A double release would drive `reserved` negative, which the CHECK refuses.
    expect(expired.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(await stock(sku)).toEqual({ on_hand: 100, reserved: 0 });
    await Promise.all(replicas.map((r) => r.close()));
  });
});
