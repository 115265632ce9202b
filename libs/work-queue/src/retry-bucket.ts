/** RabbitMQ keeps a message TTL in an unsigned 32-bit field. */
const MAX_DELAY_MS = 2 ** 32 - 1;

/**
 * The delay queue a retry of `delayMs` goes to. A queue expires only the
 * message at its head, so messages that share a queue must share a TTL or a
 * long delay would hold back every shorter one behind it; rounding up to
 * three significant bits keeps the number of queues small (a few per
 * doubling) and waits at most a quarter longer than asked, never shorter.
 * 0 means "no wait": publish straight back to the main queue.
 */
export function retryBucket(delayMs: number): number {
  if (!Number.isFinite(delayMs) || delayMs <= 0) return 0;
  const ms = Math.min(Math.ceil(delayMs), MAX_DELAY_MS);
  const step = 2 ** Math.max(0, Math.floor(Math.log2(ms)) - 2);
  return Math.min(Math.ceil(ms / step) * step, MAX_DELAY_MS);
}
