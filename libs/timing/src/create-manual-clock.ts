import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ManualClock } from './manual-clock';

interface Scheduled {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A Clock for tests of time-driven logic. It is plain data (a sorted list of
 * timers), not a fake of Node's globals, so real I/O in the same test keeps
 * its real timers.
 */
export function createManualClock(startMs = 1_900_000_000_000): ManualClock {
  let now = startMs;
  let seq = 0;
  const timers: Scheduled[] = [];

  async function settle(): Promise<void> {
    // A few turns of the event loop let promise chains started by a timer
    // (an async round, its finally) run to the point where they schedule again.
    for (let i = 0; i < 5; i++) await nextTurn();
  }

  return {
    now: () => now,
    setTimeout(callback, ms) {
      const entry: Scheduled = { at: now + Math.max(0, ms), seq: seq++, callback };
      timers.push(entry);
      return {
        cancel() {
          const i = timers.indexOf(entry);
          if (i >= 0) timers.splice(i, 1);
        },
      };
    },
    async advance(ms) {
      if (!(ms >= 0)) throw new Error(`advance() needs a duration >= 0 (got ${ms})`);
      const until = now + ms;
      await settle();
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (next === undefined || next.at > until) break;
        timers.shift();
        now = next.at;
        next.callback();
        await settle();
      }
      now = until;
    },
    get pending() {
      return timers.length;
    },
  };
}
