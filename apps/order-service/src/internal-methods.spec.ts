// The attacks a security review found, replayed by a self-registered customer
// against real auth and inventory processes: each must fail and change nothing.
import { Code } from '@connectrpc/connect';
import { AuthService } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  failure,
  startAuthNeighbour,
  startInventoryNeighbour,
  startOrderTestServer,
  type AuthNeighbour,
  type Customer,
  type InventoryNeighbour,
  type OrderTestServer,
} from './testing/order-test-harness';

let auth: AuthNeighbour;
let inventory: InventoryNeighbour;
let orders: OrderTestServer;
let mallory: Customer;
beforeAll(async () => {
  auth = await startAuthNeighbour();
  inventory = await startInventoryNeighbour(auth);
  orders = await startOrderTestServer(auth, inventory);
  mallory = await auth.newCustomer('mallory');
});
afterAll(async () => {
  await orders?.close();
  await inventory?.close();
  await auth?.close();
});

const internal = /is internal: only services may call it$/;

describe("a customer's token on internal methods", () => {
  it('cannot hold stock: ReserveStock with fresh ids reserves nothing', async () => {
    const sku = await inventory.newProduct(5);
    for (let i = 0; i < 3; i++) {
      const err = await failure(
        inventory.client.reserveStock(
          { reservationId: `hold-${i}`, items: [{ sku, quantity: 5 }], customerId: mallory.userId },
          mallory.auth,
        ),
      );
      expect(err.code).toBe(Code.PermissionDenied);
      expect(err.rawMessage).toMatch(internal);
    }
    expect(await inventory.available(sku)).toBe(5);
    expect(await inventory.reservationsOf(sku)).toEqual([]);
  });

  it('cannot destroy stock: CommitReservation of a reservation is refused', async () => {
    const sku = await inventory.newProduct(5);
    // The reservation made by the order service for a real order, committed once.
    const { order } = await orders.client.placeOrder(
      { items: [{ sku, quantity: 1 }] },
      mallory.auth,
    );
    for (const call of [
      inventory.client.commitReservation({ reservationId: order!.orderId }, mallory.auth),
      inventory.client.releaseReservation({ reservationId: order!.orderId }, mallory.auth),
    ]) {
      expect((await failure(call)).code).toBe(Code.PermissionDenied);
    }
    expect(await inventory.available(sku)).toBe(4);
  });

  it('cannot oversell: ReturnReservation of a placed order leaves the stock sold', async () => {
    const sku = await inventory.newProduct(2);
    const { order } = await orders.client.placeOrder(
      { items: [{ sku, quantity: 2 }] },
      mallory.auth,
    );
    const err = await failure(
      inventory.client.returnReservation({ reservationId: order!.orderId }, mallory.auth),
    );
    expect(err.code).toBe(Code.PermissionDenied);
    expect(await inventory.available(sku)).toBe(0);
    expect(await inventory.reservation(order!.orderId)).toMatchObject({ status: 'committed' });
  });

  it("cannot test stolen tokens: VerifyToken answers services only, and the admin's token too is refused", async () => {
    const transport = createGrpcJsTransport({ address: auth.address, defaultTimeoutMs: 10_000 });
    try {
      const client = createServiceClient(AuthService, transport);
      for (const who of [mallory, auth.admin]) {
        const err = await failure(client.verifyToken({ accessToken: who.token }, who.auth));
        expect(err.code).toBe(Code.PermissionDenied);
        expect(err.rawMessage).toMatch(internal);
      }
    } finally {
      transport.close();
    }
  });

  it('the admin cannot call them either: the settler runs as the order service, not as a person', async () => {
    const sku = await inventory.newProduct(3);
    const err = await failure(
      inventory.client.reserveStock(
        { reservationId: 'admin-hold', items: [{ sku, quantity: 3 }], customerId: 'x' },
        auth.admin.auth,
      ),
    );
    expect(err.code).toBe(Code.PermissionDenied);
    expect(await inventory.available(sku)).toBe(3);
  });

  it('the order service, as itself, still reserves in the name of the customer it verified', async () => {
    const sku = await inventory.newProduct(3);
    const { order } = await orders.client.placeOrder(
      { items: [{ sku, quantity: 1 }] },
      mallory.auth,
    );
    expect(await inventory.reservation(order!.orderId)).toMatchObject({
      owner_user_id: mallory.userId,
      status: 'committed',
    });
  });
});
