/** A sleep that a poke ends early; a poke while awake makes the next sleep return at once. */
export interface Wakeup {
  sleep(ms: number): Promise<void>;
  poke(): void;
}

export function createWakeup(): Wakeup {
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
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
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
