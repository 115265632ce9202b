/** A timer a Clock scheduled; only its clock can cancel it. */
export interface ClockTimer {
  /** Cancels the callback if it has not run yet; safe to call twice. */
  cancel(): void;
}

/**
 * Time as code that waits sees it: the current instant and timers. Passed in
 * wherever behaviour depends on time, so a test steps a manual clock forward
 * instead of sleeping and racing a busy machine.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Runs `callback` once, `ms` from now. A system timer is unref'd: background
   * work must never be the only thing keeping a process alive.
   */
  setTimeout(callback: () => void, ms: number): ClockTimer;
}
