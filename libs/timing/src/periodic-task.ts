import type { Clock } from './clock';

export interface PeriodicTaskOptions {
  /** Pause between the end of one round and the start of the next. */
  intervalMs: number;
  /** One round of work. */
  run(): Promise<unknown>;
  /** A round that failed; the loop goes on, so a database hiccup costs one round, not the task. */
  onError(err: unknown): void;
  /** Runs the first round at start() instead of one interval later. */
  runAtStart?: boolean;
  /** Defaults to the system clock; tests pass a manual one and step it. */
  clock?: Clock;
}

export interface PeriodicTask {
  /** Schedules the first round (after intervalMs unless runAtStart); a second call does nothing. */
  start(): void;
  /** Waits for a round in progress, then stops for good. Safe to call twice. */
  close(): Promise<void>;
  /** True once close() was called: a long round checks it to stop early. */
  readonly stopped: boolean;
}
