import type { Logger } from '@switchboard/logger';
import { shutdownTelemetry } from '@switchboard/telemetry';

/** Anything a service must close on the way out, in the order given. */
export interface Closable {
  readonly name: string;
  close(): Promise<void>;
}

/** Something to close, named by its key in a Closables record. */
export interface CloseTarget {
  close(): Promise<void>;
}

/**
 * The closing order. The record form, `{ 'rpc server': server, 'event bus':
 * bus, storage }`, closes in key order (insertion order; keys are names, so
 * never integer-like, which JavaScript would sort first).
 */
export type Closables = readonly Closable[] | Readonly<Record<string, CloseTarget>>;

function toSteps(closables: Closables): readonly Closable[] {
  if (Array.isArray(closables)) return closables as readonly Closable[];
  return Object.entries(closables as Readonly<Record<string, CloseTarget>>).map(
    ([name, target]) => ({ name, close: () => target.close() }),
  );
}

export interface CloseOnSignalOptions {
  logger: Logger;
  /** Closed one after another: typically rpc server, then consumers/producers, then storage. */
  closables: Closables;
  /** A hard stop if closing hangs, so an orchestrator never waits forever. */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** Injected by tests; the real one ends the process. */
  exit?: (code: number) => void;
}

/**
 * Installs SIGINT/SIGTERM handlers that close everything in order and exit 0.
 * The order matters: the rpc server stops taking calls and drains first, so no
 * handler is left writing to a database or producer that is already closed.
 * A second signal exits at once with 130, for an impatient Ctrl-C.
 * Returns the shutdown function so the caller can trigger it too.
 */
export function closeOnSignal(options: CloseOnSignalOptions): () => Promise<void> {
  const { logger, timeoutMs = 30_000, signals = ['SIGINT', 'SIGTERM'] } = options;
  const closables = toSteps(options.closables);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let closing: Promise<void> | undefined;

  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out, exiting');
        exit(1);
      }, timeoutMs);
      timer.unref();
      let failed = false;
      for (const closable of closables) {
        try {
          await closable.close();
          logger.info({ step: closable.name }, 'closed');
        } catch (err) {
          failed = true;
          logger.error({ err, step: closable.name }, 'close failed');
        }
      }
      // Last, so the spans and metrics of the steps above are flushed too.
      try {
        await shutdownTelemetry();
      } catch (err) {
        failed = true;
        logger.error({ err, step: 'telemetry' }, 'close failed');
      }
      clearTimeout(timer);
      logger.info('stopped');
      logger.flush?.();
      exit(failed ? 1 : 0);
    })();
    return closing;
  };

  for (const signal of signals) {
    process.on(signal, () => {
      if (closing) {
        logger.warn({ signal }, 'second signal, exiting now');
        exit(130);
        return;
      }
      logger.info({ signal }, 'shutting down');
      void shutdown();
    });
  }
  return shutdown;
}
