import { fromDeadLetter, type EventBus } from '@switchboard/event-bus';

/** The consumer group whose committed offsets on a `.dlq` topic mark what was redriven. */
export const REDRIVE_GROUP = 'switchboard-dlq-redrive';

/**
 * Republishes the dead letters of a `.dlq` topic that the redrive group has
 * not committed past, each to its original topic with its original key,
 * value and headers (minus dlq_*), and commits after the broker acknowledged
 * them; returns how many were sent. Letters that arrive while it runs (a
 * redriven event failing again, say) are left for the next redrive, so one
 * run always ends.
 *
 * A crash between publish and commit sends those letters again on the next
 * run, under the same ce_id, which inbox consumers skip as duplicates.
 */
export async function redriveDeadLetters(bus: EventBus, topic: string): Promise<number> {
  const ends = new Map<number, bigint>();
  for (const end of await bus.topicOffsets(topic)) ends.set(end.partition, BigInt(end.high));
  // Judged from the group's committed offsets, not from what this run saw, so
  // it also ends correctly if another redrive of the same topic runs at once.
  const caughtUp = async () =>
    (await bus.consumerLag(REDRIVE_GROUP, [topic])).every(
      (p) => BigInt(p.committedOffset ?? p.lowWatermark) >= (ends.get(p.partition) ?? 0n),
    );
  if (await caughtUp()) return 0;

  const producer = bus.createProducer();
  let sent = 0;
  const consumer = bus.createConsumer({
    groupId: REDRIVE_GROUP,
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch, control) => {
      const end = ends.get(batch.partition) ?? 0n;
      const due = batch.records.filter((r) => BigInt(r.offset) < end);
      if (due.length === 0 || !control.isRunning() || control.isStale()) return;
      await producer.publishRaw(due.map(fromDeadLetter));
      sent += due.length;
      control.resolve(due.at(-1)!.offset);
      await control.commit();
    },
  });
  await consumer.start();
  try {
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, 250));
  } finally {
    await consumer.stop();
    await producer.close();
  }
  return sent;
}
