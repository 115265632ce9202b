import { randomUUID } from 'node:crypto';
import { registerTestTelemetry, type TestTelemetry } from '@switchboard/testing';
import {
  failure,
  startAuthNeighbour,
  startInventoryNeighbour,
  startOrderTestServer,
  type AuthNeighbour,
  type InventoryNeighbour,
  type OrderTestServer,
} from './testing/order-test-harness';

describe('order domain metrics', () => {
  let telemetry: TestTelemetry;
  let auth: AuthNeighbour;
  let inventory: InventoryNeighbour;
  let t: OrderTestServer;

  beforeAll(async () => {
    // Before the server: the placement and the service take their meter when created.
    telemetry = registerTestTelemetry();
    auth = await startAuthNeighbour();
    inventory = await startInventoryNeighbour(auth);
    t = await startOrderTestServer(auth, inventory);
  });
  afterAll(async () => {
    await t?.close();
    await inventory?.close();
    await auth?.close();
    await telemetry?.shutdown();
  });

  it('counts orders placed and cancelled exactly: no replay, refusal or repeated cancel', async () => {
    const alice = await auth.newCustomer('alice');
    const sku = await inventory.newProduct(5);
    const items = [{ sku, quantity: 1 }];
    const key = randomUUID();
    const first = await t.client.placeOrder({ items }, alice.withKey(key));
    // A replay of the same key answers the same order: not a second one.
    await t.client.placeOrder({ items }, alice.withKey(key));
    await t.client.placeOrder({ items }, alice.auth);
    await failure(t.client.placeOrder({ items: [{ sku, quantity: 50 }] }, alice.auth));
    await t.client.cancelOrder({ orderId: first.order!.orderId }, alice.auth);
    await t.client.cancelOrder({ orderId: first.order!.orderId }, alice.auth);

    expect(await telemetry.metric('switchboard.orders.placed')).toBe(2);
    expect(await telemetry.metric('switchboard.orders.cancelled', { reason: 'customer' })).toBe(1);
  });
});
