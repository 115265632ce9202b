import { randomUUID } from 'node:crypto';
import type { EventBus, EventRecord } from '@switchboard/event-bus';

/**
 * Hands every record of `topic` retained now to `onRecord`, then resolves:
 * a snapshot, not a follow. The end is each partition's high watermark when
 * the call starts, so records that arrive meanwhile do not keep it running.
 * Reads through a throwaway group, so no service's offsets move.
 */
export async function readToEnd(
  bus: EventBus,
  topic: string,
  onRecord: (record: EventRecord) => Promise<void> | void,
): Promise<number> {
  const ends = await bus.topicOffsets(topic);
  const pending = new Map<number, bigint>();
  for (const end of ends) {
    if (BigInt(end.high) > BigInt(end.low)) pending.set(end.partition, BigInt(end.high));
  }
  if (pending.size === 0) return 0;
  let seen = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = bus.createConsumer({
    kind: 'record',
    groupId: `events-cli-read-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    ephemeral: true,
    onRecord: async (record) => {
      const end = pending.get(record.partition);
      if (end === undefined || BigInt(record.offset) >= end) return;
      seen++;
      await onRecord(record);
      if (BigInt(record.offset) + 1n >= end) {
        pending.delete(record.partition);
        // Stopping from inside the handler would wait on this very handler.
        if (pending.size === 0) setImmediate(finish);
      }
    },
  });
  await consumer.start();
  try {
    await finished;
  } finally {
    await consumer.stop();
  }
  return seen;
}
