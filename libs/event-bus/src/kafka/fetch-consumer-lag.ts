import type { Admin } from 'kafkajs';
import type { PartitionLag } from '../event-bus';
import { fetchTopicOffsets } from './fetch-topic-offsets';

type TopicOffsets = Awaited<ReturnType<typeof fetchTopicOffsets>>;

/**
 * A group's lag per partition of `topics` (default: every topic it committed
 * on), sorted. `offsetsOf` lets a caller asking about many groups fetch each
 * topic's offsets once.
 */
export async function fetchConsumerLag(
  admin: Admin,
  groupId: string,
  topics: readonly string[] | undefined,
  offsetsOf: (topic: string) => Promise<TopicOffsets> = (topic) => fetchTopicOffsets(admin, topic),
): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets(
    topics === undefined ? { groupId } : { groupId, topics: [...topics] },
  );
  const lags: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = await offsetsOf(topic);
    for (const end of ends) {
      const raw = partitions.find((p) => p.partition === end.partition)?.offset;
      // kafkajs reports "-1" for a partition the group never committed on.
      const committedOffset = raw !== undefined && BigInt(raw) >= 0n ? raw : null;
      // A commit older than retention resumes at the low watermark, as a new group would.
      const low = BigInt(end.low);
      const from =
        committedOffset === null || BigInt(committedOffset) < low ? low : BigInt(committedOffset);
      const behind = BigInt(end.high) - from;
      lags.push({
        topic,
        partition: end.partition,
        committedOffset,
        highWatermark: end.high,
        lowWatermark: end.low,
        lag: Number(behind > 0n ? behind : 0n),
      });
    }
  }
  return lags.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
