import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { TailTopicResponseSchema, type TailTopicResponse } from '@switchboard/contracts';
import type {
  EventBus,
  EventRecord,
  EventRegistry,
  PartitionPosition,
} from '@switchboard/event-bus';
import { createAsyncChannel } from './create-async-channel';
import { toTopicRecord } from './to-topic-record';

/** Records a slow browser may leave unread before the tail stops fetching. */
const CHANNEL_CAPACITY = 256;

export interface TailTopicOptions {
  readonly bus: EventBus;
  readonly registry: EventRegistry;
  readonly topic: string;
  /** The latest records to send first, over all partitions. */
  readonly last: number;
  /** Aborts when the client goes away: the tail then stops and leaves no group behind. */
  readonly signal: AbortSignal;
}

/**
 * The latest `last` records of a topic, oldest first, then every record as it
 * arrives, until the signal aborts. Reads through a throwaway group that
 * commits nothing and is deleted on stop, as `events tail` does, starting
 * each partition `last` records before its end so a long log is not read
 * from the beginning. The latest across partitions are told by timestamp,
 * which is all partitions share.
 */
export async function* tailTopic(options: TailTopicOptions): AsyncGenerator<TailTopicResponse> {
  const { bus, registry, topic, last, signal } = options;
  const startAt: PartitionPosition[] = [];
  // Each partition's end when the tail began: records before it are history.
  const historyEnds = new Map<number, bigint>();
  for (const { partition, low, high } of await bus.topicOffsets(topic)) {
    const end = BigInt(high);
    const from = end - BigInt(last) > BigInt(low) ? end - BigInt(last) : BigInt(low);
    startAt.push({ topic, partition, offset: String(from) });
    if (from < end) historyEnds.set(partition, end);
  }
  // A record delivered twice (a rebalance, a seek that came late) is sent once.
  const nextOffsets = new Map(startAt.map((p) => [p.partition, BigInt(p.offset)]));
  const channel = createAsyncChannel<EventRecord>(CHANNEL_CAPACITY);
  const consumer = bus.createConsumer({
    kind: 'record',
    groupId: `switchboard-console-tail-${randomUUID()}`,
    topics: [topic],
    fromBeginning: false,
    ephemeral: true,
    startAt,
    onRecord: async (record) => {
      const offset = BigInt(record.offset);
      if (offset < (nextOffsets.get(record.partition) ?? 0n)) return;
      nextOffsets.set(record.partition, offset + 1n);
      await channel.push(record);
    },
  });
  const send = (record: EventRecord): TailTopicResponse =>
    create(TailTopicResponseSchema, { record: toTopicRecord(record, registry) });

  await consumer.start();
  try {
    const history: EventRecord[] = [];
    const arrived: EventRecord[] = [];
    while (historyEnds.size > 0) {
      const record = await channel.next(signal);
      if (record === undefined) return;
      const end = historyEnds.get(record.partition);
      const offset = BigInt(record.offset);
      if (end === undefined || offset >= end) {
        arrived.push(record);
        continue;
      }
      history.push(record);
      if (offset + 1n >= end) historyEnds.delete(record.partition);
    }
    history.sort(
      (a, b) =>
        Number(a.timestamp) - Number(b.timestamp) ||
        a.partition - b.partition ||
        Number(BigInt(a.offset) - BigInt(b.offset)),
    );
    for (const record of history.slice(-last)) yield send(record);
    for (const record of arrived) yield send(record);
    for (;;) {
      const record = await channel.next(signal);
      if (record === undefined) return;
      yield send(record);
    }
  } finally {
    // Closed first: a handler blocked on a full channel would hold stop() forever.
    channel.close();
    await consumer.stop();
  }
}
