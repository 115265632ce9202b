/** A bounded hand-off from a producer (a consumer's handler) to one async reader. */
export interface AsyncChannel<T> {
  /** Resolves once the item is queued: waits while the channel is full, so a slow reader slows the producer. Dropped after close. */
  push(item: T): Promise<void>;
  /** The next item; undefined once closed or once `signal` aborts. */
  next(signal?: AbortSignal): Promise<T | undefined>;
  /** Ends the channel: readers get undefined, and blocked pushes return. */
  close(): void;
  readonly closed: boolean;
}
