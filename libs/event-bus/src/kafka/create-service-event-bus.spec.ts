import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema, topics } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { createServiceEventBus, eventSourceOf, type EventRecord } from '../index';

// Integration test against the real broker that jest-kafka-setup.ts started.
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const logger = createLogger({ service: 'service-bus-test', level: 'silent' });

describe('eventSourceOf', () => {
  it('names the service under /switchboard', () => {
    expect(eventSourceOf('order-service')).toBe('/switchboard/order-service');
  });
});

describe('createServiceEventBus', () => {
  it("publishes with the service's source, on the configured brokers", async () => {
    // A topic of its own: the registry's real topics are read by running services.
    const spec = { ...topics.salesOrders, name: `test.${randomUUID()}.service-bus` };
    const bus = createServiceEventBus({ service: 'order-service', kafkaBrokers: brokers }, logger, {
      topics: [spec],
    });
    try {
      await bus.ensureTopics();
      const sent = await bus
        .createProducer()
        .publish(create(OrderPlacedSchema, { orderId: 'o-1', customerId: 'c-1' }));
      expect(sent.topic).toBe(spec.name);

      const received: EventRecord[] = [];
      const consumer = bus.createConsumer({
        kind: 'record',
        groupId: `service-bus-test-${randomUUID()}`,
        topics: [spec.name],
        ephemeral: true,
        onRecord: (record) => {
          received.push(record);
        },
      });
      await consumer.start();
      const deadline = Date.now() + 30_000;
      while (received.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await consumer.stop();
      expect(received[0]?.headers).toMatchObject({
        ce_id: sent.id,
        ce_source: '/switchboard/order-service',
      });
    } finally {
      await bus.close();
    }
  });
});
