/**
 * A first-come, first-served lock. PGlite is a single database session, so
 * whoever holds it (a whole Kysely transaction, a migration run, a LISTEN)
 * must have it alone: otherwise another caller's statements would run inside
 * that transaction. Strict FIFO order means no caller can starve.
 */
export interface ConnectionLock {
  /** Resolves once the caller holds the lock. */
  acquire(): Promise<void>;
  /** Hands the lock to the next waiter, or frees it. */
  release(): void;
  /** How many callers are waiting (not counting the holder). */
  readonly waiting: number;
  readonly held: boolean;
}

export function createConnectionLock(): ConnectionLock {
  let held = false;
  const queue: (() => void)[] = [];

  return {
    get waiting() {
      return queue.length;
    },
    get held() {
      return held;
    },

    acquire() {
      if (!held) {
        held = true;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => queue.push(resolve));
    },

    release() {
      if (!held) throw new Error('connection lock released while not held');
      const next = queue.shift();
      // Ownership passes straight to the next waiter, so nobody can slip in between.
      if (next) next();
      else held = false;
    },
  };
}
