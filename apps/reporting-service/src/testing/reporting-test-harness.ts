// Test support for this service's specs: the real reporting service, started
// from its definition as main.ts starts it (ReportingService on a real socket,
// the inbox consumer on the real broker), over a database on the real
// PostgreSQL server. Not used by main.ts.
import { randomUUID } from 'node:crypto';
import type { DescMessage, Message } from '@bufbuild/protobuf';
import { ReportingService, topics } from '@switchboard/contracts';
import {
  cloudEventHeaders,
  createEventBus,
  deadLetterHeaders,
  encodeEvent,
  type EventBus,
  type EventRecord,
  type EventProducer,
  type BatchHandlerContext,
  type BatchItem,
  type HandlerContext,
  type InboxConsumerStatus,
  type OutgoingRecord,
  type PublishedEvent,
  type PublishOptions,
  type Subscription,
} from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import type { ServiceClient } from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import {
  bearer,
  createTestAuthenticator,
  createTestDatabase,
  createTestLogger,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import { migrations } from '../migrations';
import type { ReportingModuleOverrides } from '../reporting-module';
import type { ReportingDatabase } from '../reporting-schema';
import { reportingServiceDefinition } from '../reporting-service-definition';
import { orderPlaced, productUpserted, userRegistered } from './reporting-events';

export const testLogger = (): Logger => createTestLogger('reporting-test');

export interface ReportingStore {
  /** The spec's own view of the rows; a service started on it gets a pool of its own. */
  storage: Storage<ReportingDatabase>;
  url: string;
  /** Closes the storage and deletes the database. */
  dispose(): Promise<void>;
}

/** A fresh, migrated reporting database. */
export async function openReportingStore(): Promise<ReportingStore> {
  const database = await createTestDatabase('reporting');
  const storage = await createStorage<ReportingDatabase>({
    service: 'reporting',
    serviceDatabaseUrl: database.url,
    migrations,
    logger: testLogger(),
  });
  return {
    storage,
    url: database.url,
    async dispose() {
      await storage.close();
      await database.drop();
    },
  };
}

/**
 * Stands in for the auth service, which these specs do not start: they are
 * about the report, and only need an admin, a customer and a forgery. These
 * tokens map to fixed callers, anything else is rejected as auth would.
 */
const testAuthenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin', 'customer'] },
  'alice-token': { userId: 'u-alice', roles: ['customer'] },
});

/** Call options per caller; `anonymous` sends no token at all. */
export const as = {
  admin: bearer('admin-token'),
  alice: bearer('alice-token'),
  forged: bearer('forged-token'),
  anonymous: {},
};

export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

/** The source the registry allows for the event: the service that really publishes it. */
export function sourceOf(bus: EventBus, event: Message): string {
  return bus.registry.byType(event.$typeName)!.event.source;
}

export interface ReportingTestService {
  client: ServiceClient<typeof ReportingService>;
  /** The test's own bus, standing in for the services that publish what reporting reads. */
  bus: EventBus;
  /** The service's consumer group, of this test's own. */
  groupId: string;
  status(): InboxConsumerStatus;
  /** Publishes an event for this consumer to apply (under `options.id` when given). */
  publish(event: Message, options?: PublishOptions): Promise<PublishedEvent>;
  /**
   * Publishes events in one write to one partition (all under `key`), so the
   * consumer fetches them together and handles them as one run. Raw records
   * go in as they are, e.g. bytes that do not decode.
   */
  publishRun(
    key: string,
    events: readonly ({ event: Message; id?: string } | { raw: OutgoingRecord })[],
  ): Promise<void>;
  /** The most events one onBatch call got so far: more than 1 means a run really happened. */
  largestBatch(): number;
  /**
   * Resolves once everything published before `published` on its partition
   * has been consumed: the consumer handles a partition in order, so it is
   * enough to see a later marker on that partition arrive in the store.
   */
  settle(published: PublishedEvent): Promise<void>;
  /** The same for every partition of a topic: all published to it so far has been consumed. */
  settleTopic(topic: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ReportingTestServiceOptions {
  currency?: string;
  topLimit?: number;
}

const consumedTopics = [topics.salesOrders, topics.catalogProducts, topics.identityUsers];

/** The customer of every marker order. */
const MARKER_CUSTOMER_ID = '00000000-0000-4000-8000-00000000a11e';

/** A throwaway event on the topic, and how to tell it has reached the store. */
function marker(
  storage: Storage<ReportingDatabase>,
  topic: string,
): { event: Message; arrived: () => Promise<boolean> } {
  // Ids shaped as their producers mint them, or the consumer would refuse the marker.
  const id = randomUUID();
  const db = storage.db;
  if (topic === topics.catalogProducts.name) {
    const sku = `MARKER-${id.replaceAll('-', '').slice(0, 24).toUpperCase()}`;
    return {
      event: productUpserted(sku, 'marker'),
      arrived: async () =>
        (await db
          .selectFrom('products')
          .select('sku')
          .where('sku', '=', sku)
          .executeTakeFirst()) !== undefined,
    };
  }
  if (topic === topics.identityUsers.name) {
    return {
      event: userRegistered(id, 'marker'),
      arrived: async () =>
        (await db
          .selectFrom('customers')
          .select('customer_id')
          .where('customer_id', '=', id)
          .executeTakeFirst()) !== undefined,
    };
  }
  // Marker orders are placed on 0001-01-01, a day no test ever reports on.
  const event = orderPlaced({
    orderId: id,
    customerId: MARKER_CUSTOMER_ID,
    placedAt: new Date('0001-01-01T00:00:00Z'),
    lines: [{ sku: 'MARKER', quantity: 1, priceMinor: 0 }],
  });
  return {
    event,
    arrived: async () =>
      (await db
        .selectFrom('orders')
        .select('order_id')
        .where('order_id', '=', id)
        .executeTakeFirst()) !== undefined,
  };
}

/**
 * Commits, for a new group, a position at the current end of every partition
 * it will read, so the inbox consumer that joins next starts there instead of
 * at the beginning. The shared broker keeps every earlier run's events; without
 * this each test would first wade through all of them. A plain consumer that
 * starts at the end commits only once it sees a record, so markers are
 * published until every partition has had one.
 */
async function startGroupAtEnd(
  bus: EventBus,
  producer: EventProducer,
  storage: Storage<ReportingDatabase>,
  groupId: string,
): Promise<void> {
  const positioned = new Set<string>();
  const positioner = bus.createConsumer({
    kind: 'batch',
    groupId,
    topics: consumedTopics.map((t) => t.name),
    fromBeginning: false,
    async onBatch(batch, control) {
      for (const record of batch.records) control.resolve(record.offset);
      await control.commit();
      positioned.add(`${batch.topic}/${batch.partition}`);
    },
  });
  await positioner.start();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const open = consumedTopics.filter((t) =>
        Array.from({ length: t.partitions }, (_, p) => `${t.name}/${p}`).some(
          (key) => !positioned.has(key),
        ),
      );
      if (open.length === 0) return;
      if (Date.now() > deadline) throw new Error(`could not position ${groupId} at the end`);
      for (const topic of open) {
        for (let i = 0; i < topic.partitions; i++) {
          const { event } = marker(storage, topic.name);
          await producer.publish(event, { source: sourceOf(bus, event) });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await positioner.stop();
  }
}

/**
 * The service as main.ts starts it, on the store's database, but for the
 * token check (above) and its consumer: a group of its own that starts at the
 * current end of the topics, and applies only what this harness published.
 * Other suites publish on the same shared topics, some of it broken on
 * purpose; this way their traffic neither slows these tests nor ends in the
 * dead-letter topics under a reporting group.
 */
export async function startReportingTestService(
  store: ReportingStore,
  options: ReportingTestServiceOptions = {},
): Promise<ReportingTestService> {
  const bus = createEventBus({
    brokers: brokers(),
    clientId: 'reporting-test',
    source: '/switchboard/reporting-test',
    logger: testLogger(),
  });
  await bus.ensureTopics(consumedTopics);
  const producer = bus.createProducer();
  const groupId = `reporting-service-test-${randomUUID()}`;
  await startGroupAtEnd(bus, producer, store.storage, groupId);

  const published = new Set<string>();
  let largestBatch = 0;
  const onlyPublished = (
    subscriptions: readonly Subscription<ReportingDatabase>[],
  ): Subscription<ReportingDatabase>[] =>
    subscriptions.map(({ schema, handle, handleBatch }) => ({
      schema,
      handle: async (message: Message, ctx: HandlerContext<ReportingDatabase>) => {
        if (published.has(ctx.event.id)) await handle(message, ctx);
      },
      // Runs go through the batch handler, as in production.
      handleBatch:
        handleBatch &&
        (async (
          items: readonly BatchItem<DescMessage>[],
          ctx: BatchHandlerContext<ReportingDatabase>,
        ) => {
          const mine = items.filter((item) => published.has(item.event.id));
          largestBatch = Math.max(largestBatch, mine.length);
          if (mine.length > 0) await handleBatch(mine, ctx);
        }),
    }));
  let t: Awaited<ReturnType<typeof startReportingService>>;
  try {
    t = await startReportingService(store, options, {
      consumerGroupId: groupId,
      wrapSubscriptions: onlyPublished,
      // Short, so the dead-letter spec does not wait through production back-off.
      retryBackoffMs: { initial: 10, max: 10 },
    });
  } catch (err) {
    await bus.close();
    throw err;
  }
  const storage = store.storage;

  async function publish(event: Message, publishOptions: PublishOptions = {}) {
    const id = publishOptions.id ?? randomUUID();
    published.add(id);
    // As the producing service would, or the consumer dead-letters it.
    return producer.publish(event, {
      ...publishOptions,
      id,
      source: publishOptions.source ?? sourceOf(bus, event),
    });
  }

  async function publishRun(
    key: string,
    events: readonly ({ event: Message; id?: string } | { raw: OutgoingRecord })[],
  ) {
    const records = events.map((item) => {
      if ('raw' in item) return { ...item.raw, key };
      const id = item.id ?? randomUUID();
      published.add(id);
      const encoded = encodeEvent(item.event, {
        registry: bus.registry,
        source: sourceOf(bus, item.event),
        id,
      });
      return { ...encoded, key };
    });
    await producer.publishRaw(records);
  }

  async function settlePartitions(topic: string, partitions: ReadonlySet<number>) {
    const pending = new Map<number, () => Promise<boolean>>();
    for (let attempt = 0; pending.size < partitions.size; attempt++) {
      if (attempt >= 50 * partitions.size) throw new Error(`no marker landed on some of ${topic}`);
      const { event, arrived } = marker(storage, topic);
      const sent = await publish(event);
      if (partitions.has(sent.partition) && !pending.has(sent.partition))
        pending.set(sent.partition, arrived);
    }
    for (const [partition, arrived] of pending) {
      await waitUntil(arrived, `a marker on ${topic}/${partition} was not consumed`);
    }
  }

  return {
    client: t.client,
    bus,
    groupId,
    status: () => t.running.module.consumer.status(),
    publish,
    publishRun,
    largestBatch: () => largestBatch,
    settle: (sent) => settlePartitions(sent.topic, new Set([sent.partition])),
    async settleTopic(topic) {
      const spec = consumedTopics.find((t) => t.name === topic);
      if (spec === undefined) throw new Error(`${topic} is not consumed by this service`);
      await settlePartitions(topic, new Set(Array.from({ length: spec.partitions }, (_, i) => i)));
    },
    async stop() {
      await t.stop();
      await bus.close();
    },
  };
}

function startReportingService(
  store: ReportingStore,
  options: ReportingTestServiceOptions,
  overrides: ReportingModuleOverrides,
) {
  return startServiceUnderTest(reportingServiceDefinition, {
    databaseUrl: store.url,
    env: {
      REPORTING_CURRENCY: options.currency ?? 'EUR',
      REPORTING_TOP_LIMIT: String(options.topLimit ?? 20),
      REPORTING_MAX_ATTEMPTS: '2',
    },
    authenticate: testAuthenticate,
    overrides,
  });
}

/** Polls until `check` holds, or fails the test with `message`. */
export const waitUntil = (check: () => Promise<boolean>, message: string, timeoutMs = 60_000) =>
  eventually(check, timeoutMs, message);

/** Waits until the store holds each order id, in the wanted status. */
export async function waitForOrders(
  storage: Storage<ReportingDatabase>,
  expected: ReadonlyMap<string, 'placed' | 'cancelled'>,
): Promise<void> {
  const ids = [...expected.keys()];
  await waitUntil(async () => {
    const rows = await storage.db
      .selectFrom('orders')
      .select(['order_id', 'status'])
      .where('order_id', 'in', ids)
      .execute();
    return rows.length === ids.length && rows.every((r) => expected.get(r.order_id) === r.status);
  }, `the store did not reach the expected state of ${ids.length} orders`);
}

/** The dead letters `service`'s consumer group wrote for these event ids, by id. */
export async function deadLettersOf(
  service: ReportingTestService,
  topic: string,
  ids: readonly string[],
): Promise<Map<string, EventRecord>> {
  const letters = new Map<string, EventRecord>();
  const dlq = service.bus.createConsumer({
    kind: 'record',
    groupId: `reporting-dlq-probe-${randomUUID()}`,
    topics: [`${topic}.dlq`],
    ephemeral: true,
    onRecord(record) {
      const id = record.headers[cloudEventHeaders.id]!;
      if (ids.includes(id) && record.headers[deadLetterHeaders.consumerGroup] === service.groupId)
        letters.set(id, record);
    },
  });
  await dlq.start();
  try {
    await waitUntil(async () => letters.size === ids.length, 'the dead letters did not arrive');
  } finally {
    await dlq.stop();
  }
  return letters;
}

// Shared with every service's tests.
export { failure } from '@switchboard/testing';
