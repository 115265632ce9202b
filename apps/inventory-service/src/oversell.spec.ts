import { Code, ConnectError } from '@connectrpc/connect';
import {
  as,
  errorInfo,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';

// The calls really run in parallel on many connections.
const calls = 200;
const stock = 50;

describe('no oversell', () => {
  let t: InventoryTestServer;

  beforeAll(async () => {
    t = await startInventoryTestServer({ poolSize: 20 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const counters = (sku: string) =>
    t.storage.db
      .selectFrom('products')
      .select(['on_hand', 'reserved'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();

  it(`lets exactly ${stock} of ${calls} concurrent single-unit reservations through`, async () => {
    await t.client.createProduct(
      {
        sku: 'RACE-1',
        name: 'Contended',
        unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
        initialQuantity: stock,
      },
      as.admin,
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) =>
        t.client.reserveStock(
          {
            customerId: 'u-alice',
            reservationId: `race-${i}`,
            items: [{ sku: 'RACE-1', quantity: 1 }],
          },
          as.service,
        ),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [o.reason as ConnectError] : [],
    );
    expect(won).toHaveLength(stock);
    expect(lost).toHaveLength(calls - stock);
    for (const err of lost) {
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(err).code).toBe('INSUFFICIENT_STOCK');
    }
    expect(await counters('RACE-1')).toEqual({ on_hand: stock, reserved: stock });
    expect(
      (await t.client.getProduct({ sku: 'RACE-1' }, as.alice)).product?.availableQuantity,
    ).toBe(0);
    const held = await t.storage.db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('status', '=', 'held')
      .where('reservation_id', 'like', 'race-%')
      .executeTakeFirstOrThrow();
    expect(held.n).toBe(BigInt(stock));
  });

  it('never deadlocks when concurrent reservations list the same skus in opposite orders', async () => {
    for (const sku of ['PAIR-A', 'PAIR-B']) {
      await t.client.createProduct(
        {
          sku,
          name: sku,
          unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
          initialQuantity: stock,
        },
        as.admin,
      );
    }
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) => {
        const items = [
          { sku: 'PAIR-A', quantity: 1 },
          { sku: 'PAIR-B', quantity: 1 },
        ];
        return t.client.reserveStock(
          {
            customerId: 'u-bob',
            reservationId: `pair-${i}`,
            items: i % 2 === 0 ? items : items.reverse(),
          },
          as.service,
        );
      }),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(stock);
    const codes = new Set(
      outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as ConnectError).code] : [])),
    );
    expect([...codes]).toEqual([Code.FailedPrecondition]);
    expect(await counters('PAIR-A')).toEqual({ on_hand: stock, reserved: stock });
    expect(await counters('PAIR-B')).toEqual({ on_hand: stock, reserved: stock });
  });

  it(`lets exactly ${stock} of ${calls} concurrent single-unit allocations through`, async () => {
    await t.client.createProduct(
      {
        sku: 'RACE-ALLOC',
        name: 'Contended, sold at once',
        unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
        initialQuantity: stock,
      },
      as.admin,
    );
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) =>
        t.client.allocateStock(
          {
            customerId: 'u-alice',
            orderId: `alloc-${i}`,
            items: [{ sku: 'RACE-ALLOC', quantity: 1 }],
          },
          as.service,
        ),
      ),
    );
    const lost = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [o.reason as ConnectError] : [],
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(stock);
    expect(lost).toHaveLength(calls - stock);
    for (const err of lost) expect(errorInfo(err).code).toBe('INSUFFICIENT_STOCK');
    expect(await counters('RACE-ALLOC')).toEqual({ on_hand: 0, reserved: 0 });
    const sold = await t.storage.db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('status', '=', 'committed')
      .where('reservation_id', 'like', 'alloc-%')
      .executeTakeFirstOrThrow();
    expect(sold.n).toBe(BigInt(stock));
  });

  it('never deadlocks when concurrent allocations list the same skus in opposite orders', async () => {
    for (const sku of ['ALLOC-PAIR-A', 'ALLOC-PAIR-B']) {
      await t.client.createProduct(
        {
          sku,
          name: sku,
          unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
          initialQuantity: stock,
        },
        as.admin,
      );
    }
    const outcomes = await Promise.allSettled(
      Array.from({ length: calls }, (_, i) => {
        const items = [
          { sku: 'ALLOC-PAIR-A', quantity: 1 },
          { sku: 'ALLOC-PAIR-B', quantity: 1 },
        ];
        return t.client.allocateStock(
          {
            customerId: 'u-bob',
            orderId: `alloc-pair-${i}`,
            items: i % 2 === 0 ? items : items.reverse(),
          },
          as.service,
        );
      }),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(stock);
    const codes = new Set(
      outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as ConnectError).code] : [])),
    );
    expect([...codes]).toEqual([Code.FailedPrecondition]);
    expect(await counters('ALLOC-PAIR-A')).toEqual({ on_hand: 0, reserved: 0 });
    expect(await counters('ALLOC-PAIR-B')).toEqual({ on_hand: 0, reserved: 0 });
  });
});
