import type { ClockTimer } from './clock';
import type { PeriodicTask, PeriodicTaskOptions } from './periodic-task';
import { systemClock } from './system-clock';

/**
 * Background work on a timer (expiring reservations, settling orders,
 * rotating keys). The next round is scheduled only when the last one ended,
 * so rounds never overlap however slow one is, and close() never leaves one
 * half done.
 */
export function createPeriodicTask(options: PeriodicTaskOptions): PeriodicTask {
  const { intervalMs, run, onError, clock = systemClock } = options;
  if (!(intervalMs > 0)) throw new Error(`intervalMs must be > 0 (got ${intervalMs})`);
  let timer: ClockTimer | undefined;
  let started = false;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  function round() {
    timer = undefined;
    running = Promise.resolve()
      .then(run)
      .catch(onError)
      .finally(() => {
        running = undefined;
        schedule();
      });
  }

  function schedule() {
    if (stopped) return;
    timer = clock.setTimeout(round, intervalMs);
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      if (options.runAtStart) round();
      else schedule();
    },
    async close() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
      await running;
    },
    get stopped() {
      return stopped;
    },
  };
}
