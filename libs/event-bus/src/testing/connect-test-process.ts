import type { TopicSpec } from '@switchboard/contracts';
import { createLogger, type Logger } from '@switchboard/logger';
import { createStorage, type Migration, type Storage } from '@switchboard/storage';
import type { EventBus } from '../event-bus';
import { createEventBus } from '../kafka/create-event-bus';

export interface TestProcessOptions {
  /** The logger's service and the Kafka client id. */
  name: string;
  /** The storage's service name, and the database (a PostgreSQL URL) the parent test made. */
  service: string;
  databaseUrl: string | undefined;
  migrations: Record<string, Migration>;
  /** CloudEvents source of what its bus publishes. */
  source: string;
  topics?: readonly TopicSpec[];
}

export interface TestProcess<DB> {
  logger: Logger;
  storage: Storage<DB>;
  bus: EventBus;
}

/**
 * The storage and event bus of a child process that a spec starts so it can
 * SIGKILL it: the parent's database, the broker from KAFKA_BROKERS, and a
 * logger that only warns, so the parent reads nothing but the ready line.
 */
export async function connectTestProcess<DB>(
  options: TestProcessOptions,
): Promise<TestProcess<DB>> {
  const logger = createLogger({ service: options.name, level: 'warn' });
  const storage = await createStorage<DB>({
    service: options.service,
    serviceDatabaseUrl: options.databaseUrl,
    migrations: options.migrations,
    logger,
  });
  const bus = createEventBus({
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    clientId: options.name,
    source: options.source,
    logger,
    topics: options.topics,
  });
  return { logger, storage, bus };
}
