import type { Backoff } from './backoff';

/**
 * The wait before retry number `attempt` (1 for the first retry), never
 * above maxMs (even when initialMs is). `random` returns a number in [0, 1)
 * and is injectable so tests can pin the jitter.
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, jitter = 'none' } = backoff;
  // The exponent is capped so a long outage cannot overflow to Infinity * 0.
  const delay = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt - 1), 52));
  if (jitter === 'none') return delay;
  if (jitter === 'full') return Math.floor(random() * delay);
  return Math.round(delay * (1 - jitter + 2 * jitter * random()));
}
