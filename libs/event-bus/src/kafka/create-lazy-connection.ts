export interface LazyConnection {
  /** Connects unless connected or connecting; a failed attempt is forgotten, so the next call retries. */
  open(): Promise<void>;
  /** Forgets the connection (it dropped): the next open() connects again. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Connects on first use and again after a failure or a disconnect, so a
 * service can start while Kafka is down and recover when it comes back.
 */
export function createLazyConnection(
  connect: () => Promise<void>,
  disconnect: () => Promise<void>,
): LazyConnection {
  let pending: Promise<void> | undefined;
  return {
    open(): Promise<void> {
      pending ??= connect().catch((err: unknown) => {
        pending = undefined;
        throw err;
      });
      return pending;
    },
    reset() {
      pending = undefined;
    },
    async close() {
      if (!pending) return;
      pending = undefined;
      await disconnect();
    },
  };
}
