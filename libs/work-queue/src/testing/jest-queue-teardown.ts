/** Jest globalTeardown: stops what jest-queue-setup.ts started (same process). */
export default async function jestQueueTeardown(): Promise<void> {
  const holder = globalThis as { __switchboardQueues?: Array<{ stop(): Promise<void> }> };
  const started = holder.__switchboardQueues ?? [];
  delete holder.__switchboardQueues;
  await Promise.allSettled(started.reverse().map((broker) => broker.stop()));
}
