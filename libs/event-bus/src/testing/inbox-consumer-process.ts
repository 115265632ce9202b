// An inbox consumer in a process of its own, so a test can SIGKILL it mid-stream.
// Env: INBOX_DB_URL (a PostgreSQL URL), KAFKA_BROKERS, INBOX_TOPIC, INBOX_GROUP,
// HANDLER_DELAY_MS (per event, inside the transaction), COMMIT_INTERVAL_MS,
// MAX_EVENTS_PER_TRANSACTION.
import { OrderPlacedSchema } from '@switchboard/contracts';
import { createInboxConsumer } from '../inbox/create-inbox-consumer';
import { on } from '../inbox/on';
import { connectTestProcess } from './connect-test-process';
import {
  INBOX_TEST_SOURCE,
  inboxTestMigrations,
  inboxTestTopic,
  recordEffect,
  type InboxTestDatabase,
} from './inbox-fixture';

async function main() {
  const { logger, storage, bus } = await connectTestProcess<InboxTestDatabase>({
    name: 'inbox-consumer-process',
    service: 'inbox_test',
    databaseUrl: process.env.INBOX_DB_URL,
    migrations: inboxTestMigrations,
    source: INBOX_TEST_SOURCE,
    topics: [inboxTestTopic('process', process.env.INBOX_TOPIC!)],
  });
  const delayMs = Number(process.env.HANDLER_DELAY_MS ?? '0');
  const consumer = createInboxConsumer<InboxTestDatabase>({
    storage,
    bus,
    logger,
    groupId: process.env.INBOX_GROUP!,
    subscriptions: [
      on(OrderPlacedSchema, async (message, ctx) => {
        await recordEffect(message, ctx);
        // After the write, so a kill is likely to land with effects committed
        // but their offsets not.
        await new Promise((r) => setTimeout(r, delayMs));
      }),
    ],
    commitIntervalMs: Number(process.env.COMMIT_INTERVAL_MS ?? '1000'),
    maxEventsPerTransaction: Number(process.env.MAX_EVENTS_PER_TRANSACTION ?? '500'),
    lagLogIntervalMs: 0,
  });
  await consumer.start();
  process.stdout.write('consuming\n');
}

void main();
