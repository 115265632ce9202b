import { create, type Message } from '@bufbuild/protobuf';
import { OrderPlacedSchema } from '@switchboard/contracts';
import { createLogger, type Logger } from '@switchboard/logger';
import { Writable } from 'node:stream';
import type { EventBus } from '../event-bus';
import { createEventBus } from '../kafka/create-event-bus';
import type { DecodedEvent } from '../cloudevents/decode-event';
import { outboxMigrations, type OutboxDatabase } from '../outbox/outbox-migrations';
import { openTestStore, type Backend, type TestStore } from './open-test-store';

export const quietLogger = (): Logger =>
  process.env.TEST_LOGS
    ? createLogger({ service: 'test', level: 'debug' })
    : createLogger({
        service: 'test',
        level: 'warn',
        destination: new Writable({ write: (_c, _e, cb) => cb() }),
      });

export type { Backend } from './open-test-store';

export type OutboxStore = TestStore<OutboxDatabase>;

/** A fresh outbox database on the chosen backend. */
export function openOutboxStore(backend: Backend, logger: Logger): Promise<OutboxStore> {
  return openTestStore<OutboxDatabase>(backend, {
    service: 'outbox_test',
    databasePrefix: 'outbox',
    migrations: outboxMigrations,
    logger,
  });
}

/**
 * OrderPlaced events tagged with a run id: the key is `<run>-k<n>` and the
 * customer id carries the sequence number within its key, so a consumer can
 * check per-key order without any other state.
 */
export function numberedEvents(run: string, keys: number, perKey: number): Message[] {
  const events: Message[] = [];
  for (let seq = 0; seq < perKey; seq++) {
    for (let k = 0; k < keys; k++) {
      events.push(create(OrderPlacedSchema, { orderId: `${run}-k${k}`, customerId: String(seq) }));
    }
  }
  return events;
}

export interface Collector {
  events: DecodedEvent[];
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Reads sales.orders.v1 from the beginning and keeps this run's events. */
export async function collectRun(bus: EventBus, run: string): Promise<Collector> {
  await bus.ensureTopics();
  const events: DecodedEvent[] = [];
  const consumer = bus.createConsumer({
    kind: 'event',
    groupId: `outbox-test-${run}`,
    topics: ['sales.orders.v1'],
    fromBeginning: true,
    ephemeral: true,
    onEvent(event) {
      if (event.record.key?.startsWith(`${run}-`)) events.push(event);
    },
  });
  await consumer.start();
  return {
    events,
    async waitFor(count, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`saw ${events.length} of ${count} events within ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => consumer.stop(),
  };
}

/** Sequence numbers per key, in the order they were consumed. */
export function sequencesByKey(events: DecodedEvent[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const event of events) {
    const key = event.record.key!;
    const seq = Number((event.message as unknown as { customerId: string }).customerId);
    byKey.set(key, [...(byKey.get(key) ?? []), seq]);
  }
  return byKey;
}

export function testBus(logger: Logger, brokers?: string[]): EventBus {
  return createEventBus({
    brokers: brokers ?? (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'outbox-test',
    source: '/switchboard/outbox-test',
    logger,
  });
}
