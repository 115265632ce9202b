import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Kafka, logLevel } from 'kafkajs';
import {
  OrderCancelledSchema,
  OrderPlacedSchema,
  topics,
  type TopicSpec,
} from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import {
  createEventBus,
  type DecodedEvent,
  type EventBus,
  type EventConsumer,
  type EventDecodeError,
  type EventRecord,
} from '../index';

// Integration tests against the real broker that jest-kafka-setup.ts started.
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const runId = randomUUID().slice(0, 8);
const logger = createLogger({ service: 'event-bus-test', level: process.env.LOG_LEVEL ?? 'warn' });

/** A fresh copy of a registry topic, so each test owns its topic and offsets. */
function testTopic(base: TopicSpec, label: string): TopicSpec {
  return { ...base, name: `test.${runId}.${label}.${base.name}` };
}

function newBus(specs: readonly TopicSpec[]): EventBus {
  return createEventBus({
    brokers,
    clientId: `event-bus-test-${runId}`,
    logger,
    source: '/switchboard/event-bus-test',
    topics: specs,
  });
}

async function eventually(check: () => boolean, timeoutMs = 30_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function placed(orderId: string) {
  return create(OrderPlacedSchema, { orderId, customerId: 'c-1' });
}

const buses: EventBus[] = [];
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
});
function track(bus: EventBus): EventBus {
  buses.push(bus);
  return bus;
}

describe('ensureTopics', () => {
  it('creates every topic and its .dlq twin with the registry partition counts, idempotently', async () => {
    const specs = [
      testTopic(topics.salesOrders, 'ensure'),
      testTopic(topics.identityUsers, 'ensure'),
    ];
    const bus = track(newBus(specs));
    const names = specs.flatMap((s) => [s.name, `${s.name}.dlq`]);

    const first = await bus.ensureTopics();
    expect([...first.created].sort()).toEqual([...names].sort());
    expect(first.existing).toEqual([]);

    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics: names });
      const counts = Object.fromEntries(described.map((t) => [t.name, t.partitions.length]));
      expect(counts).toEqual({
        [specs[0]!.name]: 6,
        [`${specs[0]!.name}.dlq`]: 6,
        [specs[1]!.name]: 3,
        [`${specs[1]!.name}.dlq`]: 3,
      });
    } finally {
      await admin.disconnect();
    }

    const second = await bus.ensureTopics();
    expect(second.created).toEqual([]);
    expect([...second.existing].sort()).toEqual([...names].sort());
  });

  it('tolerates another service creating the same topics at the same time', async () => {
    const specs = [testTopic(topics.socialPosts, 'race')];
    // Both see the topics missing and both try to create them; neither may fail.
    const racers = [track(newBus(specs)), track(newBus(specs))];
    await expect(Promise.all(racers.map((b) => b.ensureTopics()))).resolves.toHaveLength(2);
    const after = await track(newBus(specs)).ensureTopics();
    expect(after).toEqual({ created: [], existing: [specs[0]!.name, `${specs[0]!.name}.dlq`] });
  });
});

describe('ping', () => {
  it('answers against a live broker', async () => {
    await expect(track(newBus([])).ping()).resolves.toBeUndefined();
  });

  it('rejects within its timeout when nothing listens', async () => {
    const bus = createEventBus({
      brokers: ['127.0.0.1:1'],
      clientId: 'ping-test',
      logger: createLogger({ service: 'ping-test', level: 'silent' }),
      source: '/switchboard/test',
      connectionTimeoutMs: 500,
    });
    const started = Date.now();
    await expect(bus.ping(1_500)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_500);
    await bus.close();
  });
});

describe('publish and consume', () => {
  it('delivers CloudEvents that decode back to the published message', async () => {
    const spec = testTopic(topics.salesOrders, 'roundtrip');
    const bus = track(newBus([spec]));
    await bus.ensureTopics();
    const producer = bus.createProducer();
    const sent = await producer.publish(placed('o-1'), { headers: { traceparent: 'tp-1' } });
    const cancelled = create(OrderCancelledSchema, { orderId: 'o-1', customerId: 'c-1' });
    await producer.publish(cancelled);
    expect(sent).toMatchObject({
      topic: spec.name,
      key: 'o-1',
      type: 'switchboard.order.v1.OrderPlaced',
    });

    const received: DecodedEvent[] = [];
    const consumer = bus.createConsumer({
      kind: 'event',
      groupId: `roundtrip-${runId}`,
      topics: [spec.name],
      onEvent: (event) => {
        received.push(event);
      },
    });
    await consumer.start();
    await eventually(() => received.length >= 2, 30_000, 'two events');
    await consumer.stop();

    const [first, second] = received;
    expect(first!.message).toEqual(placed('o-1'));
    expect(second!.message).toEqual(cancelled);
    expect(first!.id).toBe(sent.id);
    expect(first!.record).toMatchObject({
      topic: spec.name,
      partition: sent.partition,
      offset: sent.offset,
      key: 'o-1',
    });
    expect(first!.record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: sent.id,
      ce_source: '/switchboard/event-bus-test',
      ce_type: 'switchboard.order.v1.OrderPlaced',
      'content-type': 'application/protobuf',
      traceparent: 'tp-1',
    });
    expect(Date.parse(first!.time!)).toBeGreaterThan(Date.now() - 120_000);
    // Same key, same partition: the cancellation is ordered after the placement.
    expect(second!.record.partition).toBe(first!.record.partition);
    expect(BigInt(second!.record.offset)).toBe(BigInt(first!.record.offset) + 1n);
  });

  it('shares partitions between two members of a group and delivers each event once per group', async () => {
    const spec = testTopic(topics.salesOrders, 'group');
    const bus = track(newBus([spec]));
    await bus.ensureTopics();

    const seen = new Map<string, string[]>();
    const consumerOf = (groupId: string, name: string): EventConsumer =>
      bus.createConsumer({
        kind: 'event',
        groupId,
        topics: [spec.name],
        onEvent: (event) => {
          const key = `${groupId}:${event.record.key}`;
          seen.set(key, [...(seen.get(key) ?? []), name]);
        },
      });
    const group = `shared-${runId}`;
    const a = consumerOf(group, 'a');
    const b = consumerOf(group, 'b');
    const other = consumerOf(`other-${runId}`, 'other');
    await Promise.all([a.start(), b.start(), other.start()]);
    const partitionsOf = (c: EventConsumer) => c.assignment()[spec.name] ?? [];
    await eventually(
      () =>
        partitionsOf(a).length > 0 &&
        partitionsOf(b).length > 0 &&
        partitionsOf(a).length + partitionsOf(b).length === spec.partitions,
      45_000,
      'both members to own partitions',
    );
    expect(new Set([...partitionsOf(a), ...partitionsOf(b)]).size).toBe(spec.partitions);

    const producer = bus.createProducer();
    const orderIds = Array.from({ length: 30 }, (_, i) => `o-${i}`);
    for (const id of orderIds) await producer.publish(placed(id));

    const total = () => [...seen.values()].reduce((n, v) => n + v.length, 0);
    await eventually(() => total() >= orderIds.length * 2, 45_000, 'every event in both groups');
    // Give a duplicate the chance to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 1_000));
    await Promise.all([a.stop(), b.stop(), other.stop()]);

    for (const id of orderIds) {
      expect(seen.get(`${group}:${id}`)).toHaveLength(1);
      expect(seen.get(`other-${runId}:${id}`)).toEqual(['other']);
    }
    const sharedConsumers = new Set(orderIds.flatMap((id) => seen.get(`${group}:${id}`)!));
    expect(sharedConsumers).toEqual(new Set(['a', 'b']));
  });

  it('publishes through an idempotent producer without duplicates', async () => {
    const spec = testTopic(topics.salesOrders, 'idempotent');
    const bus = track(newBus([spec]));
    await bus.ensureTopics();
    const producer = bus.createProducer();
    const count = 50;
    const ids = Array.from({ length: count }, (_, i) => `o-${i % 5}-${i}`);
    const published = await Promise.all(ids.map((id) => producer.publish(placed(id))));
    expect(new Set(published.map((p) => `${p.partition}:${p.offset}`)).size).toBe(count);

    // Read back below the bus to see the record batches' producer ids and sequences.
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const reader = kafka.consumer({ groupId: `idem-reader-${runId}`, maxWaitTimeInMs: 500 });
    const records: { key: string; producerId: string; sequence: number; partition: number }[] = [];
    await reader.connect();
    await reader.subscribe({ topic: spec.name, fromBeginning: true });
    await reader.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          // kafkajs exposes each record's batch header; a record's sequence
          // number is its batch's first sequence plus its position in it.
          const context = (
            m as unknown as {
              batchContext: { producerId: string; firstSequence: number; firstOffset: string };
            }
          ).batchContext;
          records.push({
            key: m.key!.toString(),
            producerId: context.producerId,
            sequence:
              context.firstSequence + Number(BigInt(m.offset) - BigInt(context.firstOffset)),
            partition: batch.partition,
          });
        }
      },
    });
    await eventually(() => records.length >= count, 30_000, 'all records');
    await new Promise((r) => setTimeout(r, 1_000));
    await reader.disconnect();

    expect(records).toHaveLength(count);
    // A producer id is only assigned to idempotent (or transactional) producers.
    const producerIds = new Set(records.map((r) => r.producerId));
    expect(producerIds.size).toBe(1);
    expect(Number([...producerIds][0])).toBeGreaterThanOrEqual(0);
    // Per partition, sequence numbers run 0..n-1 without gaps or repeats.
    const byPartition = new Map<number, number[]>();
    for (const r of records)
      byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.sequence]);
    for (const sequences of byPartition.values()) {
      expect(sequences).toEqual(sequences.map((_, i) => i));
    }
  });

  it('hands undecodable records to onDecodeError with a typed reason and keeps consuming', async () => {
    const spec = testTopic(topics.salesOrders, 'poison');
    const bus = track(newBus([spec]));
    await bus.ensureTopics();
    const producer = bus.createProducer();
    const headers = {
      ce_specversion: '1.0',
      ce_id: 'x-1',
      ce_source: '/test',
      'content-type': 'application/protobuf',
    };
    await producer.publishRaw([
      {
        topic: spec.name,
        key: 'k',
        headers: { ...headers, ce_type: 'switchboard.nope.v1.Nothing' },
        value: new Uint8Array([1]),
      },
      {
        topic: spec.name,
        key: 'k',
        headers: { ...headers, ce_type: 'switchboard.order.v1.OrderPlaced' },
        value: new Uint8Array([0x0f, 0xff]),
      },
      { topic: spec.name, key: 'k', headers: {}, value: new Uint8Array([1, 2, 3]) },
    ]);
    await producer.publish(create(OrderPlacedSchema, { orderId: 'k', customerId: 'c' }));

    const failures: { error: EventDecodeError; record: EventRecord }[] = [];
    const events: DecodedEvent[] = [];
    const consumer = bus.createConsumer({
      kind: 'event',
      groupId: `poison-${runId}`,
      topics: [spec.name],
      onEvent: (event) => {
        events.push(event);
      },
      onDecodeError: (error, record) => {
        failures.push({ error, record });
      },
    });
    await consumer.start();
    await eventually(() => events.length === 1, 30_000, 'the good event after the bad ones');
    await consumer.stop();

    expect(failures.map((f) => f.error.reason)).toEqual([
      'unknown_type',
      'malformed_payload',
      'missing_header',
    ]);
    expect(failures.map((f) => f.error.name)).toEqual(Array(3).fill('EventDecodeError'));
    expect(failures[1]!.record.value).toEqual(new Uint8Array([0x0f, 0xff]));
    expect(events[0]!.record.offset).toBe('3');
  });

  it('starts an ephemeral reader at the given offsets, and keeps the bytes of headers that are not text', async () => {
    const spec = testTopic(topics.salesOrders, 'start-at');
    const bus = track(newBus([spec]));
    await bus.ensureTopics();
    // Straight through kafkajs: the bus writes only text headers.
    const raw = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    try {
      await raw.send({
        topic: spec.name,
        messages: ['a', 'b', 'c'].map((text) => ({
          partition: 2,
          key: 'k',
          value: text,
          headers: { text, blob: Buffer.from([0xff, 0xfe, text.charCodeAt(0)]) },
        })),
      });
    } finally {
      await raw.disconnect();
    }

    const records: EventRecord[] = [];
    const consumer = bus.createConsumer({
      kind: 'record',
      groupId: `start-at-${runId}`,
      topics: [spec.name],
      ephemeral: true,
      startAt: [{ topic: spec.name, partition: 2, offset: '1' }],
      onRecord: (record) => {
        records.push(record);
      },
    });
    await consumer.start();
    await eventually(() => records.length === 2, 30_000, 'the records from offset 1');
    await consumer.stop();

    expect(records.map((r) => [r.partition, r.offset])).toEqual([
      [2, '1'],
      [2, '2'],
    ]);
    expect(records[0]!.headers.text).toBe('b');
    expect(records[0]!.binaryHeaders).toEqual({ blob: new Uint8Array([0xff, 0xfe, 0x62]) });
  });
});
