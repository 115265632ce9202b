import { randomUUID } from 'node:crypto';
import type { EventBus, PartitionPosition } from '../event-bus';
import type { EventRecord } from '../event-record';

export interface ReadToEndOptions {
  /** Only the latest this many records of each partition; default all retained. */
  readonly lastPerPartition?: number;
  /** Prefix of the throwaway group's id, so a reader is recognisable on the broker. */
  readonly groupPrefix?: string;
}

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
  options: ReadToEndOptions = {},
): Promise<number> {
  const ends = await bus.topicOffsets(topic);
  const pending = new Map<number, bigint>();
  const startAt: PartitionPosition[] = [];
  for (const end of ends) {
    const low = BigInt(end.low);
    const high = BigInt(end.high);
    if (high <= low) continue;
    const from =
      options.lastPerPartition === undefined
        ? low
        : maxOf(low, high - BigInt(options.lastPerPartition));
    if (from >= high) continue;
    pending.set(end.partition, high);
    startAt.push({ topic, partition: end.partition, offset: String(from) });
  }
  if (pending.size === 0) return 0;
  const starts = new Map(startAt.map((p) => [p.partition, BigInt(p.offset)]));
  let seen = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = bus.createConsumer({
    kind: 'record',
    groupId: `${options.groupPrefix ?? 'switchboard-read'}-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    ephemeral: true,
    startAt,
    onRecord: async (record) => {
      const end = pending.get(record.partition);
      const offset = BigInt(record.offset);
      if (end === undefined || offset >= end || offset < (starts.get(record.partition) ?? 0n)) {
        return;
      }
      seen++;
      await onRecord(record);
      if (offset + 1n >= end) {
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

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);
