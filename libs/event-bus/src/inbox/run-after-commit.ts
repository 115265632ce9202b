import type { Logger } from '@switchboard/logger';

/** Runs a handler's afterCommit callback; its failure is logged, never thrown. */
export function runAfterCommit(fn: () => void, eventLog: Logger): void {
  try {
    // Typed as sync; an async one still must not become an unhandled rejection.
    const result: unknown = fn();
    if (result instanceof Promise) {
      result.catch((err: unknown) => eventLog.warn({ err }, 'afterCommit callback failed'));
    }
  } catch (err) {
    eventLog.warn({ err }, 'afterCommit callback failed');
  }
}
