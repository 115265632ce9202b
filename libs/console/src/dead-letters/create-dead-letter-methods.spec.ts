import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { ConsoleService, OrderPlacedSchema, topics, type TopicSpec } from '@switchboard/contracts';
import {
  createEventBus,
  createEventRegistry,
  createInboxConsumer,
  inboxMigrations,
  on,
  readToEnd,
  REDRIVE_GROUP_HEADER,
  toDeadLetter,
  type EventBus,
  type EventRecord,
  type InboxConsumer,
  type InboxDatabase,
} from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createStorage, type Storage } from '@switchboard/storage';
import {
  createTestDatabase,
  type TestDatabase,
  eventually as pollUntil,
} from '@switchboard/testing';
import { createDeadLetterMethods } from './create-dead-letter-methods';
import type { DeadLetterMethods } from './dead-letter-methods';

// The Dead letters view over the Connect protocol, on a real socket: a poison
// event dead-lettered by a real inbox consumer (PostgreSQL inbox, real
// broker), listed, redriven back to its group, and not redriven twice.

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const logger = createLogger({ service: 'console-dlq-test', level: 'silent' });
const SOURCE = '/switchboard/console-dlq-test';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** libs/testing's poll, with this spec's one-minute bound for a shared broker. */
const eventually = (check: () => Promise<boolean> | boolean, what: string) =>
  pollUntil(async () => check(), 60_000, what);

describe('the console dead-letter methods', () => {
  const spec: TopicSpec = {
    ...topics.salesOrders,
    name: `test.${randomUUID().slice(0, 8)}.console-dlq.sales.orders.v1`,
    events: topics.salesOrders.events.map((e) => ({ ...e, source: SOURCE })),
  };
  const dlq = `${spec.name}.dlq`;
  const groupId = `console-dlq-${randomUUID().slice(0, 8)}`;
  const applied: string[] = [];
  let broken = true;
  let bus: EventBus;
  let database: TestDatabase;
  let storage: Storage<InboxDatabase>;
  let consumer: InboxConsumer;
  let methods: DeadLetterMethods;
  let server: Server;
  let client: Client<typeof ConsoleService>;

  beforeAll(async () => {
    bus = createEventBus({
      brokers,
      clientId: 'console-dlq-test',
      source: SOURCE,
      logger,
      topics: [spec],
    });
    await bus.ensureTopics();
    database = await createTestDatabase('console_dlq');
    storage = await createStorage<InboxDatabase>({
      service: 'console_dlq_test',
      serviceDatabaseUrl: database.url,
      migrations: inboxMigrations,
      logger,
    });
    consumer = createInboxConsumer({
      storage,
      bus,
      logger,
      groupId,
      maxAttempts: 2,
      retryBackoffMs: { initial: 10, max: 10 },
      lagLogIntervalMs: 0,
      subscriptions: [
        on<InboxDatabase, typeof OrderPlacedSchema>(OrderPlacedSchema, async (message) => {
          if (broken) throw new Error(`cannot take ${message.orderId} yet`);
          applied.push(message.orderId);
        }),
      ],
    });
    await consumer.start();
    methods = createDeadLetterMethods({ brokers, registry: createEventRegistry([spec]), logger });
    server = createServer(
      connectNodeAdapter({ routes: (router) => router.service(ConsoleService, methods) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }),
    );
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await methods?.close();
    await consumer?.close();
    await storage?.close();
    await database?.drop();
    await bus?.close();
  });

  async function readAll(topic: string): Promise<EventRecord[]> {
    const records: EventRecord[] = [];
    await readToEnd(bus, topic, (r) => void records.push(r));
    return records;
  }

  it('lists a poison event with its failure headers, redrives it to the group that failed it, and only once', async () => {
    const producer = bus.createProducer();
    const sent = await producer.publish(
      create(OrderPlacedSchema, { orderId: 'poison-1', customerId: 'c' }),
      { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } },
    );
    await eventually(() => consumer.status().deadLettered === 1, 'the poison to be dead-lettered');

    const { topics: listed } = await client.listDeadLetters({ topic: dlq });
    expect(listed.map((t) => t.name)).toEqual([dlq]);
    const [letter, ...others] = listed[0]!.letters;
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      originalTopic: spec.name,
      originalPartition: sent.partition,
      originalOffset: BigInt(sent.offset),
      consumerGroup: groupId,
      attempts: 2,
      error: 'cannot take poison-1 yet',
      redriven: false,
      redriveRefused: '',
    });
    expect(Date.now() - timestampDate(letter!.failedAt!).getTime()).toBeLessThan(5 * 60_000);
    expect(letter!.record).toMatchObject({
      topic: dlq,
      key: 'poison-1',
      eventType: 'switchboard.order.v1.OrderPlaced',
      traceId: TRACE_ID,
      decodeError: '',
    });
    expect(JSON.parse(letter!.record!.json)).toEqual({ orderId: 'poison-1', customerId: 'c' });
    expect(letter!.record!.headers).toContainEqual(
      expect.objectContaining({ key: 'dlq_consumer_group', value: groupId }),
    );
    // Listing every dead-letter topic shows it too.
    const all = await client.listDeadLetters({});
    expect(all.topics.find((t) => t.name === dlq)?.letters).toHaveLength(1);

    // A letter in this .dlq that claims another origin: listed as refused, never sent.
    const original = (await readAll(spec.name)).find((r) => r.offset === sent.offset)!;
    const elsewhere = `test.${randomUUID().slice(0, 8)}.elsewhere.v1`;
    const forged = toDeadLetter(
      { ...original, topic: elsewhere },
      { attempts: 1, error: 'forged', groupId },
    );
    await producer.publishRaw([{ ...forged, topic: dlq, key: 'forged-1' }]);
    const newest = await client.listDeadLetters({ topic: dlq, limit: 1 });
    expect(newest.topics[0]!.letters.map((l) => [l.record!.key, l.redriveRefused])).toEqual([
      ['forged-1', `dlq_original_topic is ${elsewhere}, not ${spec.name}`],
    ]);

    broken = false;
    const first = await client.redriveDeadLetters({ topic: dlq });
    expect(first.redriven).toBe(1);
    expect(first.refused.map((l) => [l.record!.key, l.redriveRefused])).toEqual([
      ['forged-1', `dlq_original_topic is ${elsewhere}, not ${spec.name}`],
    ]);
    await eventually(() => applied.includes('poison-1'), 'the failing group to apply it now');
    const copies = (await readAll(spec.name)).filter(
      (r) => r.headers.ce_id === sent.id && r.offset !== sent.offset,
    );
    expect(copies).toHaveLength(1);
    expect(copies[0]!.headers).toEqual({ ...original.headers, [REDRIVE_GROUP_HEADER]: groupId });
    expect(await bus.listTopics()).not.toContain(elsewhere);

    const after = await client.listDeadLetters({ topic: dlq });
    expect(
      Object.fromEntries(after.topics[0]!.letters.map((l) => [l.record!.key, l.redriven])),
    ).toEqual({ 'poison-1': true, 'forged-1': false });

    const second = await client.redriveDeadLetters({ topic: dlq });
    expect(second.redriven).toBe(0);
    expect(second.refused).toEqual([]);
    expect((await readAll(spec.name)).filter((r) => r.headers.ce_id === sent.id)).toHaveLength(2);
  }, 180_000);

  it('refuses a topic that is not a dead-letter topic, an unknown one, and a bad limit', async () => {
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => 'OK',
        (err: unknown) => Code[ConnectError.from(err).code],
      );
    expect(await codeOf(client.redriveDeadLetters({ topic: spec.name }))).toBe('InvalidArgument');
    expect(await codeOf(client.redriveDeadLetters({ topic: 'no.such.topic.v1.dlq' }))).toBe(
      'NotFound',
    );
    expect(await codeOf(client.listDeadLetters({ topic: spec.name }))).toBe('InvalidArgument');
    expect(await codeOf(client.listDeadLetters({ topic: 'no.such.topic.v1.dlq' }))).toBe(
      'NotFound',
    );
    expect(await codeOf(client.listDeadLetters({ limit: 1_001 }))).toBe('InvalidArgument');
  }, 60_000);
});
