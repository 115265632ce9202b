import { randomUUID } from 'node:crypto';
import { topics, type OrderPlaced, type TopicSpec } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { sql, type Generated, type Kysely, type Storage } from '@switchboard/storage';
import type { EventBus } from '../event-bus';
import { createEventBus } from '../kafka/create-event-bus';
import type { EventRecord } from '../event-record';
import { inboxMigrations, type InboxDatabase } from '../inbox/inbox-migrations';
import type { HandlerContext } from '../inbox/on';
import { openTestStore, type Backend, type TestStore } from './open-test-store';

/**
 * What a test handler writes: one row per effect and no uniqueness, so a
 * second effect of one event shows up as a second row instead of an error.
 */
export interface EffectsTable {
  id: Generated<bigint>;
  event_id: string;
  order_id: string;
  seq: number;
}

export interface InboxTestDatabase extends InboxDatabase {
  effects: EffectsTable;
}

export const inboxTestMigrations = {
  ...inboxMigrations,
  '0001_create_effects': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table effects (
          id bigserial primary key,
          event_id text not null,
          order_id text not null,
          seq integer not null
        )`.execute(db);
    },
  },
};

export type { Backend } from './open-test-store';

export type InboxStore = TestStore<InboxTestDatabase>;

export function openInboxStore(
  backend: Backend,
  logger: Logger,
  options: { urlFor?: (url: string) => string } = {},
): Promise<InboxStore> {
  return openTestStore<InboxTestDatabase>(backend, {
    service: 'inbox_test',
    databasePrefix: 'inbox',
    migrations: inboxTestMigrations,
    logger,
    urlFor: options.urlFor,
    // Short, so a test of an unreachable database does not wait on defaults.
    connectTimeoutMs: 1_000,
    pingTimeoutMs: 1_000,
  });
}

/** The effect of an OrderPlaced: a row with its order id and sequence number. */
export async function recordEffect(
  message: OrderPlaced,
  ctx: HandlerContext<InboxTestDatabase>,
): Promise<void> {
  await ctx.trx
    .insertInto('effects')
    .values({ event_id: ctx.event.id, order_id: message.orderId, seq: Number(message.customerId) })
    .execute();
}

export async function countEffects(
  storage: Storage<InboxTestDatabase>,
): Promise<{ rows: number; events: number }> {
  const result = await sql<{ rows: bigint; events: bigint }>`
    select count(*) as rows, count(distinct event_id) as events from effects`.execute(storage.db);
  return { rows: Number(result.rows[0]!.rows), events: Number(result.rows[0]!.events) };
}

/** Sequence numbers per order id, in the order their effects committed. */
export async function effectSequences(
  storage: Storage<InboxTestDatabase>,
): Promise<Map<string, number[]>> {
  const rows = await storage.db
    .selectFrom('effects')
    .select(['order_id', 'seq'])
    .orderBy('id')
    .execute();
  const byKey = new Map<string, number[]>();
  for (const row of rows) byKey.set(row.order_id, [...(byKey.get(row.order_id) ?? []), row.seq]);
  return byKey;
}

/** What the test buses publish as, and what the test topics allow. */
export const INBOX_TEST_SOURCE = '/switchboard/inbox-test';

/**
 * A copy of sales.orders.v1 under a name of its own, so a test owns its topic
 * and offsets, whose events the test bus (INBOX_TEST_SOURCE) may publish.
 */
export function inboxTestTopic(label: string, name?: string): TopicSpec {
  return {
    ...topics.salesOrders,
    name: name ?? `test.${randomUUID().slice(0, 8)}.${label}.sales.orders.v1`,
    events: topics.salesOrders.events.map((event) => ({ ...event, source: INBOX_TEST_SOURCE })),
  };
}

export function inboxTestBus(logger: Logger, spec: TopicSpec, brokers?: string[]): EventBus {
  return createEventBus({
    brokers: brokers ?? (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'inbox-test',
    source: INBOX_TEST_SOURCE,
    logger,
    topics: [spec],
  });
}

/** Every record on a topic up to its end at the time of the call (throwaway group). */
export async function readTopic(
  bus: EventBus,
  topic: string,
  timeoutMs = 30_000,
): Promise<EventRecord[]> {
  const ends = await bus.topicOffsets(topic);
  const expected = ends.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  if (expected === 0) return [];
  const records: EventRecord[] = [];
  const consumer = bus.createConsumer({
    kind: 'record',
    groupId: `inbox-test-reader-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    ephemeral: true,
    onRecord: (record) => {
      records.push(record);
    },
  });
  await consumer.start();
  try {
    await eventually(
      () => records.length >= expected,
      timeoutMs,
      `${expected} records on ${topic}`,
    );
  } finally {
    await consumer.stop();
  }
  return records;
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
