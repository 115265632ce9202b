import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMessage } from '@bufbuild/protobuf';
import { OrderCancelledSchema, OrderPlacedSchema } from '@switchboard/contracts';
import { createEventBus, type DecodedEvent, type EventBus } from '@switchboard/event-bus';
import {
  createTestLogger,
  freePort,
  startLocalBroker,
  type TestBroker,
} from '@switchboard/testing';
import {
  eventually,
  outboxEventsFor,
  startAuthNeighbour,
  startInventoryNeighbour,
  startOrderTestServer,
  type AuthNeighbour,
  type Customer,
  type InventoryNeighbour,
  type OrderTestServer,
} from './testing/order-test-harness';

/**
 * Orders placed and cancelled while Kafka is down wait in the outbox and
 * reach sales.orders.v1 once it is back: every one, and in order per key.
 * Runs against a broker of its own, which it stops and starts again.
 */
describe('order events across a broker outage', () => {
  const logger = createTestLogger('order-outage-test');
  const dataDir = mkdtempSync(join(tmpdir(), 'order-outage-kafka-'));
  let ports: { port: number; controllerPort: number };
  let broker: TestBroker | undefined;
  let auth: AuthNeighbour;
  let inventory: InventoryNeighbour;
  let alice: Customer;

  beforeAll(async () => {
    ports = { port: await freePort(), controllerPort: await freePort() };
    broker = await startLocalBroker({ dataDir, ...ports });
    auth = await startAuthNeighbour();
    inventory = await startInventoryNeighbour(auth);
    alice = await auth.newCustomer('alice');
  }, 240_000);
  afterAll(async () => {
    await inventory?.close();
    await auth?.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const newBus = (): EventBus =>
    createEventBus({
      brokers: [`127.0.0.1:${ports.port}`],
      clientId: 'order-outage-test',
      source: '/switchboard/order-outage-test',
      logger,
      requestTimeoutMs: 5_000,
    });

  it('publishes every OrderPlaced and OrderCancelled, in order per order id', async () => {
    // The service's own relay publishes, to this broker.
    const t: OrderTestServer = await startOrderTestServer(auth, inventory, {
      kafkaBrokers: `127.0.0.1:${ports.port}`,
    });
    const { relay } = t;
    const bus = newBus();
    try {
      await bus.ensureTopics();
      const sku = await inventory.newProduct(1_000);
      const orderIds: string[] = [];
      const placeOne = async () => {
        const { order } = await t.client.placeOrder({ items: [{ sku, quantity: 1 }] }, alice.auth);
        orderIds.push(order!.orderId);
        return order!.orderId;
      };

      await placeOne(); // published while the broker is up
      await relay.drained(60_000);

      await broker!.stop();
      broker = undefined;
      for (let i = 0; i < 12; i++) {
        const orderId = await placeOne();
        // Every third is cancelled too: its two events must stay in order.
        if (i % 3 === 0) await t.client.cancelOrder({ orderId }, alice.auth);
      }
      const waiting = await t.storage.db
        .selectFrom('outbox')
        .select('id')
        .where('published_at', 'is', null)
        .execute();
      expect(waiting).toHaveLength(12 + 4);

      broker = await startLocalBroker({ dataDir, ...ports });
      await relay.drained(120_000);

      const wanted = new Set(orderIds);
      const seen: DecodedEvent[] = [];
      const consumer = bus.createConsumer({
        kind: 'event',
        groupId: `order-outage-${Date.now()}`,
        topics: ['sales.orders.v1'],
        fromBeginning: true,
        ephemeral: true,
        onEvent(event) {
          if (wanted.has(event.record.key ?? '')) seen.push(event);
        },
      });
      await consumer.start();
      try {
        await eventually(async () => seen.length >= 13 + 4, 'all 17 events consumed', 60_000);
      } finally {
        await consumer.stop();
      }

      expect(seen).toHaveLength(17);
      for (const orderId of orderIds) {
        const expected = await outboxEventsFor(t.storage, orderId);
        const got = seen.filter((e) => e.record.key === orderId);
        expect(got.map((e) => e.type.split('.').at(-1))).toEqual(expected.map((e) => e.type));
        for (const [i, event] of got.entries()) {
          const message = event.message;
          if (isMessage(message, OrderPlacedSchema) || isMessage(message, OrderCancelledSchema)) {
            expect(message.orderId).toBe(orderId);
            expect(message.lines).toEqual(expected[i]?.message.lines);
            expect(message.total).toEqual(expected[i]?.message.total);
          } else {
            throw new Error(`unexpected ${event.type}`);
          }
        }
      }
    } finally {
      await bus.close();
      await t.close();
      broker ??= await startLocalBroker({ dataDir, ...ports });
    }
  }, 300_000);
});
