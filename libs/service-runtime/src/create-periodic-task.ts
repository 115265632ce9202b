export interface PeriodicTaskOptions {
  /** Pause between the end of one round and the start of the next. */
  intervalMs: number;
  /** One round of work. */
  run(): Promise<unknown>;
  /** A round that failed; the loop goes on, so a database hiccup costs one round, not the task. */
  onError(err: unknown): void;
}

export interface PeriodicTask {
  /** Schedules the first round after intervalMs; a second call does nothing. */
  start(): void;
  /** Waits for a round in progress, then stops for good. Safe to call twice. */
  close(): Promise<void>;
  /** True once close() was called: a long round checks it to stop early. */
  readonly stopped: boolean;
}

/**
 * Background work on a timer (expiring reservations, settling orders). The
 * next round is scheduled only when the last one ended, so rounds never
 * overlap however slow one is, and close() never leaves one half done.
 */
export function createPeriodicTask(options: PeriodicTaskOptions): PeriodicTask {
  const { intervalMs, run, onError } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run()
        .catch(onError)
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, intervalMs);
  }

  return {
    start() {
      if (timer !== undefined || stopped) return;
      schedule();
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    get stopped() {
      return stopped;
    },
  };
}
