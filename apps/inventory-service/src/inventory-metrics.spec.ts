import { registerTestTelemetry, type TestTelemetry } from '@switchboard/testing';
import {
  as,
  failure,
  startInventoryTestServer,
  type InventoryTestServer,
} from './start-inventory-test-server';

const eur = (cents: number) => ({ currencyCode: 'EUR', amountMinor: BigInt(cents) });

describe('inventory domain metrics', () => {
  let telemetry: TestTelemetry;
  let t: InventoryTestServer;

  beforeAll(async () => {
    // Before the server: the service takes its meter when it is created.
    telemetry = registerTestTelemetry();
    t = await startInventoryTestServer();
  });
  afterAll(async () => {
    await t?.close();
    await telemetry?.shutdown();
  });

  it('counts each reservation refused for lack of stock, and no other', async () => {
    await t.client.createProduct(
      { sku: 'SKU-M', name: 'Metered', unitPrice: eur(100), initialQuantity: 2 },
      as.admin,
    );
    const reserve = (reservationId: string, quantity: number) =>
      t.client.reserveStock(
        { reservationId, customerId: 'u-alice', items: [{ sku: 'SKU-M', quantity }] },
        as.service,
      );
    await reserve('r-1', 1);
    await failure(reserve('r-2', 5));
    await failure(reserve('r-3', 2));
    // Not a lack of stock: an unknown product.
    await failure(
      t.client.reserveStock(
        { reservationId: 'r-4', customerId: 'u-alice', items: [{ sku: 'NOPE', quantity: 1 }] },
        as.service,
      ),
    );
    expect(await telemetry.metric('switchboard.reservations.refused')).toBe(2);
  });
});
