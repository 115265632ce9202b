import { setTimeout as wait } from 'node:timers/promises';
import type { Clock } from './clock';

/**
 * Waits `ms`, or less when `signal` aborts. Resolves true when the time ran
 * out and false when it was aborted, so a retry loop can stop cleanly without
 * a try/catch around every wait. With a `clock`, the wait is on that clock
 * (a spec steps a manual one); without, it is a plain Node timer that keeps
 * the process alive while it runs, as an awaited wait should.
 */
export async function sleep(ms: number, signal?: AbortSignal, clock?: Clock): Promise<boolean> {
  if (signal?.aborted) return false;
  if (clock !== undefined) {
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        timer.cancel();
        resolve(false);
      };
      const timer = clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  try {
    await wait(ms, undefined, { signal });
    return true;
  } catch (err) {
    if (signal?.aborted) return false;
    throw err;
  }
}
