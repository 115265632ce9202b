import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { OrderPlacedSchema, topics, type TopicSpec } from '@switchboard/contracts';
import { createLogger } from '@switchboard/logger';
import { createStorage, type Storage } from '@switchboard/storage';
import {
  createTestDatabase,
  type TestDatabase,
  eventually as pollUntil,
} from '@switchboard/testing';
import {
  createEventBus,
  createInboxConsumer,
  inboxMigrations,
  on,
  REDRIVE_GROUP_HEADER,
  UnprocessableEventError,
  type EventBus,
  type EventRecord,
  type InboxConsumer,
  type InboxDatabase,
} from '../index';
import { redriveDeadLetters } from './redrive-dead-letters';

// Two services' consumer groups on one topic, each with its own database on
// the test server, on the real broker: the one that failed an
// event gets it back from a redrive, and the one that handled it does not.

const logger = createLogger({ service: 'redrive-test', level: 'silent' });
const SOURCE = '/switchboard/redrive-test';

/** libs/testing's poll, with this spec's one-minute bound for a shared broker. */
const eventually = (check: () => Promise<boolean> | boolean, what: string) =>
  pollUntil(async () => check(), 60_000, what);

describe('dlq redrive to the group that failed the event', () => {
  const spec: TopicSpec = {
    ...topics.salesOrders,
    name: `test.${randomUUID().slice(0, 8)}.redrive.sales.orders.v1`,
    events: topics.salesOrders.events.map((e) => ({ ...e, source: SOURCE })),
  };
  let bus: EventBus;
  let database: TestDatabase;
  const ownDatabases: TestDatabase[] = [];
  const storages: Storage<InboxDatabase>[] = [];
  const consumers: InboxConsumer[] = [];

  beforeAll(async () => {
    bus = createEventBus({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      clientId: 'redrive-test',
      source: SOURCE,
      logger,
      topics: [spec],
    });
    await bus.ensureTopics();
    database = await createTestDatabase('redrive');
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(storages.map((s) => s.close()));
    await database?.drop();
    await Promise.all(ownDatabases.map((d) => d.drop()));
    await bus?.close();
  });

  /** A store on `url`, or on a fresh database of its own (dropped in afterAll). */
  async function openStore(url?: string): Promise<Storage<InboxDatabase>> {
    if (url === undefined) {
      const own = await createTestDatabase('redrive_own');
      ownDatabases.push(own);
      url = own.url;
    }
    const storage = await createStorage<InboxDatabase>({
      service: 'redrive_test',
      serviceDatabaseUrl: url,
      migrations: inboxMigrations,
      logger,
    });
    storages.push(storage);
    return storage;
  }

  /** A group whose handler records which order ids it applied, and can be made to fail. */
  async function startGroup(name: string, storage: Storage<InboxDatabase>) {
    const group = {
      groupId: `${name}-${randomUUID().slice(0, 8)}`,
      applied: [] as string[],
      broken: false,
    };
    const consumer = createInboxConsumer({
      storage,
      bus,
      logger,
      groupId: group.groupId,
      subscriptions: [
        on<InboxDatabase, typeof OrderPlacedSchema>(OrderPlacedSchema, async (message) => {
          if (group.broken) throw new UnprocessableEventError(`${name} cannot take it yet`);
          group.applied.push(message.orderId);
        }),
      ],
      lagLogIntervalMs: 0,
    });
    consumers.push(consumer);
    await consumer.start();
    return { group, consumer, storage };
  }

  async function readAll(topic: string): Promise<EventRecord[]> {
    const ends = await bus.topicOffsets(topic);
    const expected = ends.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
    const records: EventRecord[] = [];
    const reader = bus.createConsumer({
      kind: 'record',
      groupId: `redrive-test-reader-${randomUUID()}`,
      topics: [topic],
      ephemeral: true,
      onRecord: (r) => {
        records.push(r);
      },
    });
    await reader.start();
    try {
      await eventually(() => records.length >= expected, `${expected} records on ${topic}`);
    } finally {
      await reader.stop();
    }
    return records;
  }

  const caughtUp = async (consumer: InboxConsumer) =>
    (await consumer.lag()).every((p) => p.lag === 0);

  it('hands the redriven event to the failing group only; the other group never applies it again', async () => {
    const failing = await startGroup('failing', await openStore(database.url));
    const healthy = await startGroup('healthy', await openStore());
    failing.group.broken = true;

    const producer = bus.createProducer();
    const sent = await producer.publish(
      create(OrderPlacedSchema, { orderId: 'r-1', customerId: 'c' }),
      { headers: { traceparent: 'tp-r-1' } },
    );
    await eventually(() => healthy.group.applied.length === 1, 'the healthy group to apply it');
    await eventually(
      () => failing.consumer.status().deadLettered === 1,
      'the failing group to dead-letter it',
    );
    await eventually(() => caughtUp(failing.consumer), 'the failing group to commit past it');

    // The fix is deployed. The healthy group's inbox row has aged out (as it
    // does after the retention), so only the redrive header keeps it from
    // applying the event a second time.
    failing.group.broken = false;
    await healthy.storage.db.deleteFrom('inbox').execute();
    const skippedBefore = healthy.consumer.status().skipped;

    const [letter, ...more] = await readAll(`${spec.name}.dlq`);
    expect(more).toEqual([]);
    expect(letter!.headers.dlq_consumer_group).toBe(failing.group.groupId);
    const summary = await redriveDeadLetters(bus, `${spec.name}.dlq`);
    // At least once: the redrive group is shared by every redrive on the broker,
    // and a rebalance between publish and commit sends a batch again (the
    // inbox makes that harmless), so the count may exceed the one letter.
    expect(summary.redriven).toBeGreaterThanOrEqual(1);
    expect([...summary.byGroup.keys()]).toEqual([failing.group.groupId]);
    expect(summary.skipped).toEqual([]);

    await eventually(() => failing.group.applied.length === 1, 'the failing group to apply it now');
    await eventually(() => caughtUp(healthy.consumer), 'the healthy group to pass the copy');
    await eventually(
      () => healthy.consumer.status().skipped === skippedBefore + 1,
      'the healthy group to skip the copy',
    );
    expect(failing.group.applied).toEqual(['r-1']);
    expect(healthy.group.applied).toEqual(['r-1']);
    const healthyInbox = await healthy.storage.db.selectFrom('inbox').select('event_id').execute();
    expect(healthyInbox).toEqual([]);
    const failingInbox = await failing.storage.db.selectFrom('inbox').select('event_id').execute();
    expect(failingInbox.map((r) => r.event_id)).toEqual([sent.id]);

    // The copy on the topic: same id, key, value and trace header, for the failing group.
    const [original, ...copies] = (await readAll(spec.name))
      .filter((r) => r.headers.ce_id === sent.id)
      .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    expect(copies.length).toBe(summary.redriven);
    for (const copy of copies) {
      expect(copy.headers).toEqual({
        ...original!.headers,
        [REDRIVE_GROUP_HEADER]: failing.group.groupId,
      });
      expect(copy.headers.traceparent).toBe('tp-r-1');
      expect(copy.value).toEqual(original!.value);
    }
  }, 180_000);
});
