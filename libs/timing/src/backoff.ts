/** A bounded exponential back-off: `initialMs`, doubling per attempt, never above `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /**
   * How the delay is spread so replicas that failed together do not retry
   * together: 'none' (the exact delay), 'full' (anywhere in [0, delay), for
   * many callers hitting one server), or a fraction such as 0.2 (delay ±20%,
   * for a reconnect that should stay near its schedule).
   */
  jitter?: 'none' | 'full' | number;
}
