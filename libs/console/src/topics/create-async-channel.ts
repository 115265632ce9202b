import type { AsyncChannel } from './async-channel';

/**
 * A channel holding at most `capacity` items. A push into a full channel
 * waits, so a browser that reads slowly holds the Kafka consumer back instead
 * of growing the console's memory.
 */
export function createAsyncChannel<T>(capacity: number): AsyncChannel<T> {
  const items: T[] = [];
  let closed = false;
  // At most one reader: TailTopic has one consuming loop.
  let wakeReader: (() => void) | undefined;
  const wakeWriters: (() => void)[] = [];

  const wake = () => {
    wakeReader?.();
    wakeReader = undefined;
  };
  return {
    get closed() {
      return closed;
    },
    async push(item) {
      while (!closed && items.length >= capacity) {
        await new Promise<void>((resolve) => wakeWriters.push(resolve));
      }
      if (closed) return;
      items.push(item);
      wake();
    },
    async next(signal) {
      for (;;) {
        if (closed || signal?.aborted) return undefined;
        const item = items.shift();
        if (item !== undefined) {
          wakeWriters.shift()?.();
          return item;
        }
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          signal?.addEventListener('abort', onAbort, { once: true });
          wakeReader = () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          };
        });
      }
    },
    close() {
      closed = true;
      items.length = 0;
      wake();
      for (const resolve of wakeWriters.splice(0)) resolve();
    },
  };
}
