import { systemClock, type Clock } from '@switchboard/timing';

/** A sleep that a poke ends early; a poke while awake makes the next sleep return at once. */
export interface Wakeup {
  sleep(ms: number): Promise<void>;
  poke(): void;
}

/** `clock` times the sleeps, so a test steps it instead of waiting out a poll. */
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
