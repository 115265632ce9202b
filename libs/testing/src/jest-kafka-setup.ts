import { startTestBroker, type TestBroker } from './kafka-test-broker';

/**
 * Jest globalSetup: one broker per jest run, shared by every test file. The
 * address goes into process.env before the workers start, so tests read
 * KAFKA_BROKERS like a service would. In a multi-project run each project
 * calls this; the first starts the broker and the others find it through
 * KAFKA_BROKERS and reuse it.
 */
export default async function jestKafkaSetup(): Promise<void> {
  const broker = await startTestBroker();
  process.env.KAFKA_BROKERS = broker.brokers.join(',');
  const holder = globalThis as { __switchboardKafka?: TestBroker[] };
  (holder.__switchboardKafka ??= []).push(broker);
}
