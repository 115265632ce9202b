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

interface Item {
  sku: string;
  quantity: number;
}

/**
 * The two ways stock is taken, which lock and check it differently (reserve
 * locks the rows first, allocate updates conditionally), so each is raced.
 */
const takers = [
  {
    calls: 'reservations',
    status: 'held',
    /** Reserved stock stays on hand until the reservation is committed. */
    after: { on_hand: stock, reserved: stock },
    take: (t: InventoryTestServer, id: string, customerId: string, items: Item[]) =>
      t.client.reserveStock({ customerId, reservationId: id, items }, as.service),
  },
  {
    calls: 'allocations',
    status: 'committed',
    /** Allocated stock is sold at once. */
    after: { on_hand: 0, reserved: 0 },
    take: (t: InventoryTestServer, id: string, customerId: string, items: Item[]) =>
      t.client.allocateStock({ customerId, orderId: id, items }, as.service),
  },
] as const;

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
  const createContended = (sku: string) =>
    t.client.createProduct(
      {
        sku,
        name: sku,
        unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
        initialQuantity: stock,
      },
      as.admin,
    );

  describe.each(takers)('$calls', ({ calls: kind, status, after, take }) => {
    const prefix = `${status}-`.toUpperCase();

    it(`lets exactly ${stock} of ${calls} concurrent single-unit ${kind} through`, async () => {
      const sku = `${prefix}RACE`;
      await createContended(sku);
      const outcomes = await Promise.allSettled(
        Array.from({ length: calls }, (_, i) =>
          take(t, `${status}-race-${i}`, 'u-alice', [{ sku, quantity: 1 }]),
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
      expect(await counters(sku)).toEqual(after);
      expect((await t.client.getProduct({ sku }, as.alice)).product?.availableQuantity).toBe(0);
      const taken = await t.storage.db
        .selectFrom('reservations')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .where('status', '=', status)
        .where('reservation_id', 'like', `${status}-race-%`)
        .executeTakeFirstOrThrow();
      expect(taken.n).toBe(BigInt(stock));
    });

    it(`never deadlocks when concurrent ${kind} list the same skus in opposite orders`, async () => {
      const [a, b] = [`${prefix}PAIR-A`, `${prefix}PAIR-B`];
      await createContended(a);
      await createContended(b);
      const outcomes = await Promise.allSettled(
        Array.from({ length: calls }, (_, i) => {
          const items = [
            { sku: a, quantity: 1 },
            { sku: b, quantity: 1 },
          ];
          return take(t, `${status}-pair-${i}`, 'u-bob', i % 2 === 0 ? items : items.reverse());
        }),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(stock);
      const codes = new Set(
        outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as ConnectError).code] : [])),
      );
      expect([...codes]).toEqual([Code.FailedPrecondition]);
      expect(await counters(a)).toEqual(after);
      expect(await counters(b)).toEqual(after);
    });
  });
});
