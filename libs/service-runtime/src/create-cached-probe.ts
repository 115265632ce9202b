export interface CachedProbeOptions {
  /** How long a success stands in for asking the dependency again. */
  maxAgeMs: number;
  /** Milliseconds of a monotonic clock; injectable for tests. */
  now?: () => number;
}

/**
 * Wraps a health probe (a database ping, a broker ping) so that a success is
 * reused for maxAgeMs instead of asking the dependency on every health round.
 * The health monitor still runs its round every couple of seconds, but an
 * idle service then talks to its database and broker once per maxAgeMs.
 * Failures are never reused: once a probe fails, every round asks again, so a
 * recovery shows at the next round. A failure therefore shows within maxAgeMs
 * plus one round; rounds that overlap share one call.
 */
export function createCachedProbe(
  probe: () => Promise<void>,
  options: CachedProbeOptions,
): () => Promise<void> {
  const now = options.now ?? (() => performance.now());
  let passedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  return () => {
    if (now() - passedAt < options.maxAgeMs) return Promise.resolve();
    inFlight ??= (async () => {
      const startedAt = now();
      try {
        await probe();
        // From when it was asked: the answer describes that moment, not a later one.
        passedAt = startedAt;
      } catch (err) {
        passedAt = -Infinity;
        throw err;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
}
