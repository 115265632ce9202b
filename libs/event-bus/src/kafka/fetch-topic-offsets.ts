import { backoffDelay, sleep, type Backoff } from '@switchboard/timing';
import type { Admin } from 'kafkajs';

/** Five waits, 100 ms doubling to 1.6 s; the cap only matters if more attempts are ever allowed. */
const LEADER_BACKOFF: Backoff = { initialMs: 100, maxMs: 3_200 };
const MAX_ATTEMPTS = 6;

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
      if (!retriable || attempt >= MAX_ATTEMPTS) throw err;
      await sleep(backoffDelay(LEADER_BACKOFF, attempt));
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
    }
  }
}
