// A relay in a process of its own, so a test can SIGKILL it mid-batch.
// Env: OUTBOX_DB_URL (a PostgreSQL URL), KAFKA_BROKERS.
import { createLogger } from '@switchboard/logger';
import { createStorage } from '@switchboard/storage';
import { createEventBus } from '../kafka/create-event-bus';
import { createOutboxRelay } from '../outbox/create-outbox-relay';
import { outboxMigrations, type OutboxDatabase } from '../outbox/outbox-migrations';

async function main() {
  const logger = createLogger({ service: 'relay-process', level: 'warn' });
  const storage = await createStorage<OutboxDatabase>({
    service: 'outbox_test',
    serviceDatabaseUrl: process.env.OUTBOX_DB_URL,
    migrations: outboxMigrations,
    logger,
  });
  const bus = createEventBus({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: 'relay-process',
    source: '/switchboard/outbox-test',
    logger,
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
