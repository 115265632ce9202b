import type { Admin } from 'kafkajs';

/**
 * Right after a topic is created (or a broker restarts) its partitions may
 * have no leader yet, and kafkajs answers ListOffsets with a retriable
 * "not the leader" instead of waiting: ask again a few times, with fresh
 * metadata, before giving up.
 */
export async function fetchTopicOffsets(admin: Admin, topic: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= 6) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
