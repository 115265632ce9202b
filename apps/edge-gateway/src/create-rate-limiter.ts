/**
 * Per-client token buckets: a burst of `burst` calls, then one more every
 * `refillEveryMs`. The wait it answers is exact (until the next token), and
 * the clock is injected so tests can step time instead of sleeping.
 */
export interface RateLimiterOptions {
  burst: number;
  refillEveryMs: number;
  now?: () => number;
  /** Buckets kept at most; full buckets are dropped first, so memory stays bounded under a flood. */
  maxClients?: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When refused: milliseconds until a call would be allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  take(client: string): RateDecision;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { burst, refillEveryMs } = options;
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? 100_000;
  const buckets = new Map<string, Bucket>();

  const level = (bucket: Bucket | undefined, at: number) =>
    bucket === undefined
      ? burst
      : Math.min(burst, bucket.tokens + Math.max(0, at - bucket.updatedAt) / refillEveryMs);

  function evict(at: number) {
    for (const [client, bucket] of buckets) {
      if (level(bucket, at) >= burst) buckets.delete(client);
    }
    // Still full of busy clients: the oldest go; they start again with a full burst.
    while (buckets.size >= maxClients) {
      const oldest = buckets.keys().next();
      if (oldest.done) break;
      buckets.delete(oldest.value);
    }
  }

  return {
    take(client) {
      const at = now();
      const tokens = level(buckets.get(client), at);
      if (tokens >= 1) {
        if (!buckets.has(client) && buckets.size >= maxClients) evict(at);
        buckets.delete(client);
        buckets.set(client, { tokens: tokens - 1, updatedAt: at });
        return { allowed: true, retryAfterMs: 0 };
      }
      buckets.set(client, { tokens, updatedAt: at });
      return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) * refillEveryMs)) };
    },
  };
}
