import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { createProductCatalog } from './create-product-catalog';
import { decodePageToken, encodePageToken } from './page-token';
import {
  EVENT_SOURCE,
  as,
  errorInfo,
  failure,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';
import { readProductEvents } from './testing/read-product-events';

const eur = (cents: number) => ({ currencyCode: 'EUR', amountMinor: BigInt(cents) });

describe('InventoryService products', () => {
  let t: InventoryTestServer;

  beforeAll(async () => {
    t = await startInventoryTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  const outboxEvents = (sku: string) => readProductEvents(t.storage.db, sku);

  describe('CreateProduct', () => {
    it('creates a product and writes ProductUpserted to the outbox', async () => {
      const res = await t.client.createProduct(
        {
          sku: 'COF-ETH-250',
          name: 'Ethiopian Yirgacheffe 250g',
          unitPrice: eur(1290),
          initialQuantity: 40,
        },
        as.admin,
      );
      expect(res.product).toMatchObject({
        sku: 'COF-ETH-250',
        name: 'Ethiopian Yirgacheffe 250g',
        unitPrice: { currencyCode: 'EUR', amountMinor: 1290n },
        availableQuantity: 40,
      });

      const events = await outboxEvents('COF-ETH-250');
      expect(events).toHaveLength(1);
      const [{ row, headers, event }] = events as [(typeof events)[number]];
      expect(row).toMatchObject({
        topic: 'catalog.products.v1',
        type: 'switchboard.inventory.v1.ProductUpserted',
        published_at: null,
      });
      expect(headers.ce_source).toBe(EVENT_SOURCE);
      expect(event).toMatchObject({
        sku: 'COF-ETH-250',
        name: 'Ethiopian Yirgacheffe 250g',
        unitPrice: { currencyCode: 'EUR', amountMinor: 1290n },
        availableQuantity: 40,
      });
      const product = await t.storage.db
        .selectFrom('products')
        .select('updated_at')
        .where('sku', '=', 'COF-ETH-250')
        .executeTakeFirstOrThrow();
      expect(event.updatedAt && timestampDate(event.updatedAt).getTime()).toBe(
        product.updated_at.getTime(),
      );
    });

    it('answers ALREADY_EXISTS for a taken sku and leaves the product and outbox alone', async () => {
      await t.client.createProduct(
        { sku: 'DUP-1', name: 'First', unitPrice: eur(100), initialQuantity: 1 },
        as.admin,
      );
      const err = await failure(
        t.client.createProduct(
          { sku: 'DUP-1', name: 'Second', unitPrice: eur(200), initialQuantity: 9 },
          as.admin,
        ),
      );
      expect(err.code).toBe(Code.AlreadyExists);
      expect(err.rawMessage).toBe('product DUP-1 already exists');
      expect(errorInfo(err).code).toBe('PRODUCT_EXISTS');
      const got = await t.client.getProduct({ sku: 'DUP-1' }, as.alice);
      expect(got.product).toMatchObject({ name: 'First', availableQuantity: 1 });
      expect(await outboxEvents('DUP-1')).toHaveLength(1);
    });

    it('names every broken field and rule in one INVALID_ARGUMENT', async () => {
      const err = await failure(
        t.client.createProduct(
          {
            sku: 'lower-case',
            name: ' ',
            unitPrice: { currencyCode: 'eur', amountMinor: -1n },
            initialQuantity: 1_000_001,
          },
          as.admin,
        ),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      const fields = (errorInfo(err).violations as { field: string }[]).map((v) => v.field);
      expect(fields).toEqual([
        'sku',
        'name',
        'unit_price.currency_code',
        'unit_price.amount_minor',
        'initial_quantity',
      ]);
      expect(err.rawMessage).toContain('sku: must be 2-32 characters of A-Z, 0-9 and "-"');
      expect(err.rawMessage).toContain(
        'initial_quantity: must be greater than or equal to 0 and less than or equal to 1000000',
      );
      expect(await outboxEvents('lower-case')).toHaveLength(0);
    });

    it('requires a unit price and rejects an absurd amount', async () => {
      const missing = await failure(
        t.client.createProduct({ sku: 'NO-PRICE', name: 'x', initialQuantity: 1 }, as.admin),
      );
      expect(missing.rawMessage).toBe('unit_price: is required');
      const huge = await failure(
        t.client.createProduct(
          { sku: 'HUGE', name: 'x', unitPrice: eur(1_000_000_001), initialQuantity: 1 },
          as.admin,
        ),
      );
      expect(huge.code).toBe(Code.InvalidArgument);
      expect(huge.rawMessage).toBe('unit_price: amount_minor must be at most 1000000000');
    });

    it('is admin only: a customer gets PERMISSION_DENIED, no token UNAUTHENTICATED', async () => {
      const request = { sku: 'SNEAKY', name: 'Sneaky', unitPrice: eur(1), initialQuantity: 1 };
      expect((await failure(t.client.createProduct(request, as.alice))).code).toBe(
        Code.PermissionDenied,
      );
      expect((await failure(t.client.createProduct(request, as.anonymous))).code).toBe(
        Code.Unauthenticated,
      );
      expect((await failure(t.client.createProduct(request, as.forged))).code).toBe(
        Code.Unauthenticated,
      );
      expect((await failure(t.client.getProduct({ sku: 'SNEAKY' }, as.admin))).code).toBe(
        Code.NotFound,
      );
    });
  });

  describe('UpdateProduct', () => {
    beforeAll(async () => {
      await t.client.createProduct(
        { sku: 'UPD-1', name: 'Old name', unitPrice: eur(500), initialQuantity: 5 },
        as.admin,
      );
    });

    it('changes only the fields that are set and announces the new state', async () => {
      const renamed = await t.client.updateProduct({ sku: 'UPD-1', name: 'New name' }, as.admin);
      expect(renamed.product).toMatchObject({
        name: 'New name',
        unitPrice: eur(500),
        availableQuantity: 5,
      });
      const repriced = await t.client.updateProduct(
        { sku: 'UPD-1', unitPrice: eur(650) },
        as.admin,
      );
      expect(repriced.product).toMatchObject({ name: 'New name', unitPrice: eur(650) });

      const events = (await outboxEvents('UPD-1')).map((e) => e.event);
      expect(events.map((e) => [e.name, e.unitPrice?.amountMinor])).toEqual([
        ['Old name', 500n],
        ['New name', 500n],
        ['New name', 650n],
      ]);
    });

    it('answers NOT_FOUND for an unknown sku, INVALID_ARGUMENT for an empty change', async () => {
      const missing = await failure(t.client.updateProduct({ sku: 'NOPE-1', name: 'x' }, as.admin));
      expect(missing.code).toBe(Code.NotFound);
      expect(missing.rawMessage).toBe('product NOPE-1 not found');
      const empty = await failure(t.client.updateProduct({ sku: 'UPD-1' }, as.admin));
      expect(empty.code).toBe(Code.InvalidArgument);
      expect(empty.rawMessage).toContain('nothing to update');
      const tooLong = await failure(
        t.client.updateProduct({ sku: 'UPD-1', name: 'x'.repeat(121) }, as.admin),
      );
      expect(tooLong.rawMessage).toBe('name: must be at most 120 characters');
    });

    it('is admin only', async () => {
      const err = await failure(t.client.updateProduct({ sku: 'UPD-1', name: 'Hacked' }, as.bob));
      expect(err.code).toBe(Code.PermissionDenied);
      expect((await t.client.getProduct({ sku: 'UPD-1' }, as.bob)).product?.name).toBe('New name');
    });
  });

  describe('AdjustStock', () => {
    beforeAll(async () => {
      await t.client.createProduct(
        { sku: 'ADJ-1', name: 'Adjustable', unitPrice: eur(100), initialQuantity: 10 },
        as.admin,
      );
    });

    it('adds and removes stock and announces each change', async () => {
      expect(
        (await t.client.adjustStock({ sku: 'ADJ-1', delta: 5 }, as.admin)).product
          ?.availableQuantity,
      ).toBe(15);
      expect(
        (await t.client.adjustStock({ sku: 'ADJ-1', delta: -12 }, as.admin)).product
          ?.availableQuantity,
      ).toBe(3);
      const events = (await outboxEvents('ADJ-1')).map((e) => e.event.availableQuantity);
      expect(events).toEqual([10, 15, 3]);
    });

    it('never drives on-hand stock below what is reserved', async () => {
      await t.client.reserveStock(
        {
          customerId: 'u-alice',
          reservationId: 'adj-hold',
          items: [{ sku: 'ADJ-1', quantity: 2 }],
        },
        as.service,
      );
      const err = await failure(t.client.adjustStock({ sku: 'ADJ-1', delta: -2 }, as.admin));
      expect(err.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(err)).toMatchObject({
        code: 'INSUFFICIENT_STOCK',
        details: { sku: 'ADJ-1', delta: '-2', onHand: '3', reserved: '2' },
      });
      expect(err.rawMessage).toBe(
        'cannot remove 2 of ADJ-1: 3 on hand, 2 reserved, so at most 1 can be removed',
      );
      // The one unreserved unit may go.
      const ok = await t.client.adjustStock({ sku: 'ADJ-1', delta: -1 }, as.admin);
      expect(ok.product?.availableQuantity).toBe(0);
      expect((await outboxEvents('ADJ-1')).map((e) => e.event.availableQuantity)).toEqual([
        10, 15, 3, 0,
      ]);
    });

    it('refuses a zero delta, an unknown sku, a non-admin and stock above the limit', async () => {
      const zero = await failure(t.client.adjustStock({ sku: 'ADJ-1', delta: 0 }, as.admin));
      expect([zero.code, zero.rawMessage]).toEqual([
        Code.InvalidArgument,
        'delta: must not be zero',
      ]);
      const missing = await failure(t.client.adjustStock({ sku: 'NOPE-2', delta: 1 }, as.admin));
      expect(missing.code).toBe(Code.NotFound);
      const denied = await failure(t.client.adjustStock({ sku: 'ADJ-1', delta: 1 }, as.alice));
      expect(denied.code).toBe(Code.PermissionDenied);
      // 2 on hand (both reserved): fill up to exactly the limit, then one more.
      await t.client.adjustStock({ sku: 'ADJ-1', delta: 999_998 }, as.admin);
      const over = await failure(t.client.adjustStock({ sku: 'ADJ-1', delta: 1 }, as.admin));
      expect(over.code).toBe(Code.FailedPrecondition);
      expect(errorInfo(over).code).toBe('STOCK_LIMIT_EXCEEDED');
    });
  });

  describe('GetProduct', () => {
    it('needs a token, and validates the sku', async () => {
      expect((await failure(t.client.getProduct({ sku: 'COF-ETH-250' }, as.anonymous))).code).toBe(
        Code.Unauthenticated,
      );
      const bad = await failure(t.client.getProduct({ sku: 'not a sku' }, as.alice));
      expect(bad.code).toBe(Code.InvalidArgument);
      const missing = await failure(t.client.getProduct({ sku: 'NOPE-3' }, as.alice));
      expect([missing.code, errorInfo(missing).code]).toEqual([Code.NotFound, 'PRODUCT_NOT_FOUND']);
      expect(errorInfo(missing).details).toEqual({ sku: 'NOPE-3' });
    });
  });

  describe('the outbox shares the transaction', () => {
    it('loses the event together with the change when the transaction rolls back', async () => {
      const attempt = t.storage.db.transaction().execute(async (trx) => {
        const catalog = createProductCatalog({ db: trx, source: EVENT_SOURCE });
        await catalog.create({
          sku: 'ROLLED-BACK',
          name: 'Never',
          price: eur(1),
          initialQuantity: 1,
        });
        // Inside the transaction both are there…
        const inside = await trx
          .selectFrom('outbox')
          .select('id')
          .where('key', '=', 'ROLLED-BACK')
          .execute();
        expect(inside).toHaveLength(1);
        throw new Error('something after the change failed');
      });
      await expect(attempt).rejects.toThrow('something after the change failed');
      // …and after the rollback neither is.
      expect(await outboxEvents('ROLLED-BACK')).toHaveLength(0);
      const rows = await t.storage.db
        .selectFrom('products')
        .select('sku')
        .where('sku', '=', 'ROLLED-BACK')
        .execute();
      expect(rows).toEqual([]);
    });
  });
});

describe('ListProducts', () => {
  let t: InventoryTestServer;
  // Inserted out of order; the API must page in byte order of the sku.
  const skus = ['P-10', 'P-02', 'P-9', 'P-01', 'A-1', 'Z-9', 'P-1', 'B-0', 'M-5', '0-A', 'P-011'];

  beforeAll(async () => {
    t = await startInventoryTestServer();
    for (const sku of skus) {
      await t.client.createProduct(
        { sku, name: `Product ${sku}`, unitPrice: eur(100), initialQuantity: 1 },
        as.admin,
      );
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  async function listAll(pageSize: number): Promise<{ pages: string[][]; tokens: string[] }> {
    const pages: string[][] = [];
    const tokens: string[] = [];
    let pageToken = '';
    do {
      const res = await t.client.listProducts({ pageSize, pageToken }, as.alice);
      pages.push(res.products.map((p) => p.sku));
      tokens.push(res.nextPageToken);
      pageToken = res.nextPageToken;
    } while (pageToken !== '');
    return { pages, tokens };
  }

  it('walks every product once, in stable sku order, in pages of the size asked', async () => {
    const { pages, tokens } = await listAll(4);
    const sorted = [...skus].sort((a, b) => (a < b ? -1 : 1));
    expect(pages.flat()).toEqual(sorted);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
    expect(tokens.at(-1)).toBe('');
    // The token is the base64url of the last sku on the page.
    expect(decodePageToken(tokens[0] ?? '')).toBe(pages[0]?.at(-1));
  });

  it('ends with an empty token when the last page is exactly full', async () => {
    const { pages, tokens } = await listAll(11);
    expect(pages).toHaveLength(1);
    expect(tokens).toEqual(['']);
  });

  it('uses 20 when page_size is 0, and rejects sizes outside 1-100', async () => {
    for (let i = 0; i < 12; i++) {
      await t.client.createProduct(
        { sku: `FILL-${i}`, name: 'Filler', unitPrice: eur(1), initialQuantity: 0 },
        as.admin,
      );
    }
    const res = await t.client.listProducts({}, as.alice);
    expect(res.products).toHaveLength(20);
    expect(res.nextPageToken).not.toBe('');
    for (const pageSize of [101, -1]) {
      const err = await failure(t.client.listProducts({ pageSize }, as.alice));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(
        'page_size: must be between 1 and 100, or 0 for the default of 20',
      );
    }
  });

  it('keeps its place when products are added before the cursor', async () => {
    const before = (await t.client.listProducts({ pageSize: 4 }, as.alice)).products.map(
      (p) => p.sku,
    );
    const first = await t.client.listProducts({ pageSize: 2 }, as.alice);
    await t.client.createProduct(
      { sku: '0-0', name: 'Earlier', unitPrice: eur(1), initialQuantity: 0 },
      as.admin,
    );
    const second = await t.client.listProducts(
      { pageSize: 2, pageToken: first.nextPageToken },
      as.alice,
    );
    // An offset would now repeat the last item of page one; the cursor does not.
    expect(second.products.map((p) => p.sku)).toEqual(before.slice(2, 4));
  });

  it('rejects a malformed page token with INVALID_ARGUMENT', async () => {
    for (const pageToken of ['not base64!', encodePageToken('lower case'), 'QQ=', 'QR', 'QUJD.']) {
      const err = await failure(t.client.listProducts({ pageSize: 2, pageToken }, as.alice));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe(
        'page_token: is not a token from a previous ListProducts response',
      );
    }
  });

  it('needs a token', async () => {
    expect((await failure(t.client.listProducts({}, as.anonymous))).code).toBe(
      Code.Unauthenticated,
    );
  });
});
