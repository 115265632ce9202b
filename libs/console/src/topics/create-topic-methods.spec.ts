import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import {
  ConsoleService,
  OrderPlacedSchema,
  topics,
  type TailTopicResponse,
  type TopicSpec,
} from '@switchboard/contracts';
import { createEventBus, createEventRegistry, type EventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { Kafka, logLevel } from 'kafkajs';
import { createTopicMethods } from './create-topic-methods';
import type { TopicMethods } from './topic-methods';
import { eventually as pollUntil } from '@switchboard/testing';

// The Topics view over the Connect protocol, on a real socket, against the
// broker that jest-kafka-setup.ts started, on a topic of this run's own.

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const logger = createLogger({ service: 'console-topics-test', level: 'silent' });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = (n: number) => `00-${TRACE_ID}-00f067aa0ba902b${n}-01`;

/** libs/testing's poll, with this spec's one-minute bound for a shared broker. */
const eventually = (check: () => Promise<boolean> | boolean, what: string) =>
  pollUntil(async () => check(), 60_000, what);

describe('the console topic methods', () => {
  const spec: TopicSpec = {
    ...topics.salesOrders,
    name: `test.${randomUUID().slice(0, 8)}.console.sales.orders.v1`,
  };
  let bus: EventBus;
  let methods: TopicMethods;
  let server: Server;
  let client: Client<typeof ConsoleService>;
  // To see the groups the tail leaves (or does not leave) on the broker.
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();

  beforeAll(async () => {
    bus = createEventBus({
      brokers,
      clientId: 'console-topics-test',
      logger,
      source: '/switchboard/console-topics-test',
      topics: [spec],
    });
    await bus.ensureTopics();
    methods = createTopicMethods({ brokers, registry: createEventRegistry([spec]), logger });
    server = createServer(
      connectNodeAdapter({ routes: (router) => router.service(ConsoleService, methods) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }),
    );
    await admin.connect();
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await methods?.close();
    await bus?.close();
    await admin.disconnect();
  });

  const tailGroups = async () =>
    (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith('switchboard-console-tail-'));

  it('lists every topic with its partitions, end offsets and each group lag', async () => {
    const producer = bus.createProducer();
    for (const orderId of ['l-1', 'l-2', 'l-3']) {
      await producer.publish(create(OrderPlacedSchema, { orderId, customerId: 'c' }));
    }
    const groupId = `console-lag-${randomUUID().slice(0, 8)}`;
    let consumed = 0;
    const consumer = bus.createConsumer({
      kind: 'batch',
      groupId,
      topics: [spec.name],
      onBatch: async (batch, control) => {
        for (const r of batch.records) control.resolve(r.offset);
        await control.commit();
        consumed += batch.records.length;
      },
    });
    await consumer.start();
    await eventually(
      async () =>
        consumed >= 3 && (await bus.consumerLag(groupId, [spec.name])).every((p) => p.lag === 0),
      'the group to commit all three',
    );
    await consumer.stop();
    // On l-1's partition, where the group has committed.
    const behind = await producer.publish(
      create(OrderPlacedSchema, { orderId: 'l-1', customerId: 'c' }),
    );
    await producer.publish(create(OrderPlacedSchema, { orderId: 'l-1', customerId: 'c' }));

    const { topics: listed } = await client.listTopics({});
    expect(listed.map((t) => t.name)).not.toContain('__consumer_offsets');
    const twin = listed.find((t) => t.name === `${spec.name}.dlq`);
    expect(twin).toMatchObject({ deadLetter: true, groups: [] });
    const topic = listed.find((t) => t.name === spec.name)!;
    expect(topic.deadLetter).toBe(false);
    expect(topic.partitions.map((p) => p.partition)).toEqual(
      Array.from({ length: spec.partitions }, (_, i) => i),
    );
    expect(topic.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0n)).toBe(5n);
    const group = topic.groups.find((g) => g.groupId === groupId)!;
    expect(group.totalLag).toBe(2n);
    expect(group.partitions).toHaveLength(spec.partitions);
    const lagging = group.partitions.find((p) => p.partition === behind.partition)!;
    expect(lagging).toMatchObject({ committedOffset: BigInt(behind.offset), lag: 2n });
    for (const p of group.partitions.filter((q) => q !== lagging)) expect(p.lag).toBe(0n);
    const idle = group.partitions.find(
      (p) => topic.partitions.find((q) => q.partition === p.partition)!.endOffset === 0n,
    );
    if (idle) expect(idle.committedOffset).toBe(-1n);
  }, 120_000);

  it('tails the last records, then a record produced after the stream started, and leaves no group behind', async () => {
    const producer = bus.createProducer();
    // One key, so one partition and a well-defined order.
    const key = `t-${randomUUID().slice(0, 8)}`;
    for (let n = 1; n <= 3; n++) {
      await producer.publish(create(OrderPlacedSchema, { orderId: key, customerId: `c-${n}` }), {
        headers: { traceparent: traceparent(n) },
      });
    }
    await producer.publishRaw([
      { topic: spec.name, key, headers: { ce_type: 'not.a.Type' }, value: new Uint8Array([7]) },
    ]);

    const abort = new AbortController();
    const received: TailTopicResponse[] = [];
    let more: () => void = () => {};
    const stream = (async () => {
      try {
        for await (const message of client.tailTopic(
          { topic: spec.name, last: 3 },
          { signal: abort.signal },
        )) {
          received.push(message);
          more();
        }
      } catch (err) {
        // The client's own abort ends the stream; anything else is a failure.
        if (!abort.signal.aborted) throw err;
      }
    })();
    const waitFor = (count: number) =>
      new Promise<void>((resolve) => {
        more = () => received.length >= count && resolve();
        more();
      });

    await waitFor(3);
    const latest = received.map((m) => m.record!);
    // The three latest on this key: customers 2 and 3, then the record that does not decode.
    expect(latest.map((r) => (r.json ? JSON.parse(r.json).customerId : r.decodeError))).toEqual([
      'c-2',
      'c-3',
      expect.stringMatching(/^missing_header: /),
    ]);
    expect(latest[0]).toMatchObject({
      topic: spec.name,
      key,
      eventType: 'switchboard.order.v1.OrderPlaced',
      traceId: TRACE_ID,
      decodeError: '',
    });
    expect(latest[0]!.headers).toContainEqual(
      expect.objectContaining({ key: 'traceparent', value: traceparent(2) }),
    );
    expect(latest[2]).toMatchObject({ json: '', traceId: '', eventType: 'not.a.Type' });
    expect(latest[1]!.offset).toBe(latest[0]!.offset + 1n);
    expect(await tailGroups()).toHaveLength(1);

    const live = await producer.publish(
      create(OrderPlacedSchema, { orderId: key, customerId: 'c-live' }),
      { headers: { traceparent: traceparent(9) } },
    );
    await waitFor(4);
    expect(received[3]!.record).toMatchObject({
      offset: BigInt(live.offset),
      traceId: TRACE_ID,
      decodeError: '',
    });
    expect(JSON.parse(received[3]!.record!.json)).toEqual({ orderId: key, customerId: 'c-live' });

    abort.abort();
    await stream;
    await eventually(async () => (await tailGroups()).length === 0, 'the tail group to go');
  }, 120_000);

  it('answers NOT_FOUND for an unknown topic and INVALID_ARGUMENT for bad input', async () => {
    const codeOf = async (request: { topic: string; last?: number }) => {
      try {
        for await (const _ of client.tailTopic(request)) return 'a record';
        return 'the end';
      } catch (err) {
        return Code[ConnectError.from(err).code];
      }
    };
    expect(await codeOf({ topic: 'no.such.topic.v1' })).toBe('NotFound');
    expect(await codeOf({ topic: 'bad topic!' })).toBe('InvalidArgument');
    expect(await codeOf({ topic: '' })).toBe('InvalidArgument');
    expect(await codeOf({ topic: spec.name, last: 1_001 })).toBe('InvalidArgument');
    expect(await codeOf({ topic: spec.name, last: -1 })).toBe('InvalidArgument');
    expect(await tailGroups()).toEqual([]);
  }, 60_000);
});

describe('the console topic methods without a broker', () => {
  it('answers UNAVAILABLE, naming Kafka, instead of hanging', async () => {
    // A port nothing listens on: taken, then let go.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port: deadPort } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const methods = createTopicMethods({
      brokers: [`127.0.0.1:${deadPort}`],
      registry: createEventRegistry(),
      logger,
    });
    const server = createServer(
      connectNodeAdapter({ routes: (router) => router.service(ConsoleService, methods) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }),
    );
    try {
      const error = await client.listTopics({}).then(
        () => undefined,
        (err: unknown) => ConnectError.from(err),
      );
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.rawMessage).toMatch(/^cannot reach Kafka/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await methods.close();
    }
  }, 30_000);
});
