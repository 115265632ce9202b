import {
  fullAfterMs,
  returnToken,
  takeToken,
  type BucketSettings,
  type BucketState,
} from './token-bucket';

export interface MemoryBuckets {
  /** Takes a token from the key's bucket; `retryAfterMs` is 0 when allowed. */
  take(key: string): { allowed: boolean; retryAfterMs: number };
  giveBack(key: string): void;
  readonly size: number;
}

export interface MemoryBucketsOptions {
  settings: BucketSettings;
  now: () => number;
  /**
   * The most keys remembered. Beyond it the least recently touched goes
   * first, so a spray of addresses cannot grow memory without bound; the
   * global budget still holds whatever such a spray gets through.
   */
  maxKeys?: number;
}

/**
 * Token buckets per key in this process's memory: for budgets where a
 * per-replica count is acceptable (per client address, global), as n
 * replicas only multiply them by n, and a restart forgetting them is harmless.
 */
export function createMemoryBuckets(options: MemoryBucketsOptions): MemoryBuckets {
  const { settings, now } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const forgetAfterMs = fullAfterMs(settings);
  // A Map iterates in insertion order: re-inserting on each touch makes it an LRU.
  const buckets = new Map<string, BucketState>();

  function store(key: string, state: BucketState) {
    buckets.delete(key);
    buckets.set(key, state);
    while (buckets.size > maxKeys) {
      const oldest = buckets.keys().next().value as string;
      buckets.delete(oldest);
    }
  }

  /** A bucket untouched long enough to be full again is the same as no bucket. */
  function sweep(nowMs: number) {
    for (const [key, state] of buckets) {
      if (nowMs - state.updatedAt < forgetAfterMs) break;
      buckets.delete(key);
    }
  }

  return {
    take(key) {
      const nowMs = now();
      sweep(nowMs);
      const result = takeToken(buckets.get(key), nowMs, settings);
      store(key, result.state);
      return { allowed: result.allowed, retryAfterMs: result.retryAfterMs };
    },
    giveBack(key) {
      const nowMs = now();
      store(key, returnToken(buckets.get(key), nowMs, settings));
    },
    get size() {
      return buckets.size;
    },
  };
}
