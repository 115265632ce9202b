import type { TestBroker } from './kafka-test-broker';

/**
 * Jest globalTeardown: stops what jest-kafka-setup.ts started (setup and
 * teardown run in the same process). Stopping a reused broker is a no-op.
 */
export default async function jestKafkaTeardown(): Promise<void> {
  const holder = globalThis as { __switchboardKafka?: TestBroker[] };
  const brokers = holder.__switchboardKafka ?? [];
  delete holder.__switchboardKafka;
  for (const broker of brokers.reverse()) await broker.stop();
}
