import type { Clock } from './clock';

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, running every timer that falls due on the way
   * in the order it is due; each callback sees now() at its own due time.
   * Waits for promise callbacks between timers, so work a timer starts can
   * schedule the next one before advance() decides what is due.
   */
  advance(ms: number): Promise<void>;
  /** Timers scheduled and not yet run or cancelled. */
  readonly pending: number;
}
