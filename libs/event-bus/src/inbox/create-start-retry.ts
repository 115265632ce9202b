import { backoffDelay, sleep, systemClock, type Backoff, type Clock } from '@switchboard/timing';

/**
 * Starting that does not give up: a first attempt, then, while it fails,
 * more in the background with back-off (1 s doubling to 5 s), until one
 * succeeds or the consumer closes.
 */
export interface StartRetry {
  /** Makes the first attempt; true when it succeeded, else retrying goes on in the background. */
  start(): Promise<boolean>;
  /** Ends the back-off wait at once (closing: the loop then sees it should stop). */
  wake(): void;
  /** Resolves once no attempt is in flight and the retry loop has ended. */
  settled(): Promise<void>;
}

/**
 * No jitter: a few replicas rejoining their broker are no thundering herd,
 * and the waits stay exactly the ones described above. The ceiling is low
 * because the health probes say SERVING as soon as the broker answers, while
 * the consumer joins only at its next attempt: with a 30 s ceiling a stack
 * whose broker booted slowly served for up to half a minute without
 * consuming. One failed connection every 5 s costs a broker nothing.
 */
const START_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 5_000 };

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
