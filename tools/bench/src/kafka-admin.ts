// Direct broker administration for the bench (kafkajs, as the raw baseline
// uses it): the event bus deliberately offers no way to delete records or
// consumer groups, which only a benchmark between its phases should do.
import { Kafka, logLevel } from 'kafkajs';

let quiet = false;

/**
 * kafkajs 2.2.4 arms negative-delay timers that Node 23+ warns about on every
 * client (the event bus silences the same warning for its own clients); keep
 * the bench's output to what matters. Every other warning still prints.
 */
export function silenceKafkajsTimerWarning(): void {
  if (quiet) return;
  quiet = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') for (const print of printers) print(warning);
  });
}

function admin(brokers: readonly string[]) {
  silenceKafkajsTimerWarning();
  return new Kafka({
    brokers: [...brokers],
    clientId: 'bench-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
}

/**
 * Empties topics by moving their start to the current end, so a consumer
 * group that starts "from the beginning" later finds nothing left over from
 * an earlier measurement (missing topics are skipped).
 */
export async function truncateTopics(
  brokers: readonly string[],
  topics: readonly string[],
): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    for (const topic of topics.filter((t) => existing.has(t))) {
      const offsets = await client.fetchTopicOffsets(topic);
      await client.deleteTopicRecords({
        topic,
        partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
      });
    }
  } finally {
    await client.disconnect();
  }
}

/** Deletes a consumer group that has no members left; a missing group is fine. */
export async function deleteGroup(brokers: readonly string[], groupId: string): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    await client.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await client.disconnect();
  }
}
