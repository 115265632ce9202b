import type { Admin } from 'kafkajs';
import type { GroupLag, TopicOverview } from '../event-bus';
import { fetchConsumerLag } from './fetch-consumer-lag';
import { fetchTopicOffsets } from './fetch-topic-offsets';

/**
 * Every topic with its partitions' offsets and each group's lag on it. A
 * group that committed nothing anywhere (a tail's throwaway group) has no
 * topics to show and so does not appear.
 */
export async function describeTopics(admin: Admin): Promise<TopicOverview[]> {
  const [names, { groups }] = await Promise.all([admin.listTopics(), admin.listGroups()]);
  // Fetched once per topic, shared by the topic's row and every group's lag on it.
  const offsets = new Map<string, ReturnType<typeof fetchTopicOffsets>>();
  const offsetsOf = (topic: string) => {
    let pending = offsets.get(topic);
    if (pending === undefined) {
      pending = fetchTopicOffsets(admin, topic);
      offsets.set(topic, pending);
    }
    return pending;
  };
  const byTopic = new Map<string, GroupLag[]>();
  const lags = await Promise.all(
    groups.map(async ({ groupId }) => ({
      groupId,
      partitions: await fetchConsumerLag(admin, groupId, undefined, offsetsOf),
    })),
  );
  for (const { groupId, partitions } of lags) {
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      const mine = partitions.filter((p) => p.topic === topic);
      if (mine.every((p) => p.committedOffset === null)) continue;
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push({ groupId, partitions: mine });
    }
  }
  const overviews = await Promise.all(
    names.map(async (topic) => ({
      topic,
      partitions: (await offsetsOf(topic))
        .map(({ partition, low, high }) => ({ partition, low, high }))
        .sort((a, b) => a.partition - b.partition),
      groups: (byTopic.get(topic) ?? []).sort((a, b) => a.groupId.localeCompare(b.groupId)),
    })),
  );
  return overviews.sort((a, b) => a.topic.localeCompare(b.topic));
}
