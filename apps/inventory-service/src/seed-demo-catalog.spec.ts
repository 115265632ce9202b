import { fromBinary } from '@bufbuild/protobuf';
import { ProductUpsertedSchema } from '@switchboard/contracts';
import { inventoryLimits } from './inventory-limits';
import { demoCatalog } from './demo-catalog';
import { seedDemoCatalog } from './seed-demo-catalog';
import {
  as,
  silentLogger,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';

describe('the demo catalog', () => {
  it('has about twenty distinct products that pass the API rules, priced in EUR', () => {
    expect(demoCatalog.length).toBeGreaterThanOrEqual(18);
    expect(new Set(demoCatalog.map((p) => p.sku)).size).toBe(demoCatalog.length);
    for (const p of demoCatalog) {
      expect(p.sku).toMatch(inventoryLimits.skuPattern);
      expect(p.name.length).toBeLessThanOrEqual(inventoryLimits.nameMaxChars);
      expect(p.price.currencyCode).toBe('EUR');
      expect(p.price.amountMinor).toBeGreaterThan(0n);
      expect(p.initialQuantity).toBeGreaterThan(0);
    }
  });
});

describe('seedDemoCatalog', () => {
  let t: InventoryTestServer;

  beforeAll(async () => {
    t = await startInventoryTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  const outboxKeys = async () =>
    (
      await t.storage.db.selectFrom('outbox').select(['key', 'payload']).orderBy('id').execute()
    ).map((r) => ({
      key: r.key,
      event: fromBinary(ProductUpsertedSchema, r.payload),
    }));

  it('inserts what is missing, keeps what exists, and announces only what it created', async () => {
    // An admin got there first with one of the skus, at another price.
    await t.client.createProduct(
      {
        sku: 'COF-ETH-250',
        name: 'House Ethiopian',
        unitPrice: { currencyCode: 'EUR', amountMinor: 999n },
        initialQuantity: 3,
      },
      as.admin,
    );
    const created = await seedDemoCatalog(t.catalog, silentLogger());
    expect(created).toHaveLength(demoCatalog.length - 1);
    expect(created).not.toContain('COF-ETH-250');

    const kept = await t.client.getProduct({ sku: 'COF-ETH-250' }, as.alice);
    expect(kept.product).toMatchObject({ name: 'House Ethiopian', availableQuantity: 3 });
    const v60 = await t.client.getProduct({ sku: 'BRW-V60-02' }, as.alice);
    expect(v60.product).toMatchObject({
      name: 'Hario V60 Dripper 02, ceramic',
      unitPrice: { amountMinor: 2490n },
    });

    const events = await outboxKeys();
    expect(events.filter((e) => e.key === 'COF-ETH-250')).toHaveLength(1); // the admin's, not the seed's
    expect(events).toHaveLength(demoCatalog.length);
    expect(events.find((e) => e.key === 'BRW-V60-02')?.event.availableQuantity).toBe(35);
  });

  it('does nothing on a second start', async () => {
    const before = (await outboxKeys()).length;
    expect(await seedDemoCatalog(t.catalog, silentLogger())).toEqual([]);
    expect(await outboxKeys()).toHaveLength(before);
    const listed = await t.client.listProducts({ pageSize: 100 }, as.alice);
    expect(listed.products).toHaveLength(demoCatalog.length);
  });
});
