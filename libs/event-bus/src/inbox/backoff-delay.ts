import type { Backoff } from './resolve-inbox-settings';

/** The pause before attempt `attempt + 1`: initial, doubled per attempt, capped at max. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  return Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
}
