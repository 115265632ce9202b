import type { Backoff } from './backoff';
import { backoffDelay } from './backoff-delay';
import type { Clock } from './clock';
import { sleep } from './sleep';
import type { StartRetry } from './start-retry';
import { systemClock } from './system-clock';

/**
 * No jitter: a few replicas rejoining their broker are no thundering herd,
 * and the waits stay exactly the ones StartRetry describes. The ceiling is
 * low because the health probes say SERVING as soon as the broker answers,
 * while the consumer joins only at its next attempt: with a 30 s ceiling a
 * stack whose broker booted slowly served for up to half a minute without
 * consuming. One failed connection every 5 s costs a broker nothing.
 */
const START_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 5_000 };

/** A StartRetry around `tryStart`; `isClosing` tells the loop its owner is closing. */
export function createStartRetry(
  tryStart: () => Promise<boolean>,
  isClosing: () => boolean,
  clock: Clock = systemClock,
): StartRetry {
  let attempt: Promise<boolean> | undefined;
  let retrying: Promise<void> | undefined;
  // Only closing wakes the loop, and closing is for good: once aborted, every
  // later wait returns at once and the loop sees isClosing().
  const woken = new AbortController();

  async function retry(): Promise<void> {
    for (let n = 1; !isClosing(); n++) {
      await sleep(backoffDelay(START_BACKOFF, n), woken.signal, clock);
      if (isClosing()) return;
      attempt = tryStart();
      if (await attempt) return;
    }
  }

  return {
    async start() {
      attempt = tryStart();
      if (await attempt) return true;
      retrying = retry();
      return false;
    },
    wake: () => woken.abort(),
    async settled() {
      await retrying;
      await attempt;
    },
  };
}
