import type { Clock } from './clock';
import { systemClock } from './system-clock';
import type { Wakeup } from './wakeup';

/**
 * The wait of a polling loop that work arriving can cut short (a LISTEN
 * notification, a new row). `clock` times the sleeps, so a test steps it
 * instead of waiting out a poll.
 */
export function createWakeup(clock: Clock = systemClock): Wakeup {
  let wake: (() => void) | undefined;
  let pendingWake = false;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (pendingWake) {
          pendingWake = false;
          resolve();
          return;
        }
        const timer = clock.setTimeout(done, ms);
        function done() {
          timer.cancel();
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    poke() {
      if (wake) wake();
      else pendingWake = true;
    },
  };
}
