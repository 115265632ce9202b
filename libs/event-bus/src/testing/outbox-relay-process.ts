// A relay in a process of its own, so a test can SIGKILL it mid-batch.
// Env: OUTBOX_DB_URL (a PostgreSQL URL), KAFKA_BROKERS.
import { createOutboxRelay } from '../outbox/create-outbox-relay';
import { outboxMigrations, type OutboxDatabase } from '../outbox/outbox-migrations';
import { connectTestProcess } from './connect-test-process';

async function main() {
  const { logger, storage, bus } = await connectTestProcess<OutboxDatabase>({
    name: 'relay-process',
    service: 'outbox_test',
    databaseUrl: process.env.OUTBOX_DB_URL,
    migrations: outboxMigrations,
    source: '/switchboard/outbox-test',
  });
  // Small batches so that a kill is likely to land between publish and mark.
  createOutboxRelay({
    storage,
    producer: bus.createProducer(),
    logger,
    batchSize: 5,
    leaseMs: 2_000,
  }).start();
  process.stdout.write('relaying\n');
}

void main();
