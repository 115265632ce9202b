import type { Logger } from '@switchboard/logger';

/** Anything a service must close on the way out, in the order given. */
export interface Closable {
  readonly name: string;
  close(): Promise<void>;
}

export interface CloseOnSignalOptions {
  logger: Logger;
  /** Closed one after another: typically rpc server, then consumers/producers, then storage. */
  closables: Closable[];
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
  const { logger, closables, timeoutMs = 30_000, signals = ['SIGINT', 'SIGTERM'] } = options;
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
