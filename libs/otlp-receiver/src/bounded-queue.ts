/** What a bounded store holds of one signal and what it let go of. */
export interface BoundedStats {
  readonly items: number;
  readonly bytes: number;
  readonly maxItems: number;
  readonly maxBytes: number;
  /** Items dropped, oldest first, since the store was created, to stay inside the bounds. */
  readonly dropped: number;
}

export interface BoundedQueue<T> {
  /** Appends an item of the given size, dropping the oldest until both bounds hold; false when the item alone is over the byte bound. */
  push(item: T, bytes: number): boolean;
  /** The items held, oldest first. */
  values(): T[];
  stats(): BoundedStats;
}

/**
 * A queue bounded in count and bytes that drops from its head. The head
 * moves instead of shifting the array, so each eviction is O(1); the array is
 * compacted once most of it is dead. `onEvict` lets a store keep its indexes
 * in step.
 */
export function createBoundedQueue<T>(
  maxItems: number,
  maxBytes: number,
  onEvict: (item: T) => void = () => {},
): BoundedQueue<T> {
  if (!(Number.isInteger(maxItems) && maxItems > 0))
    throw new RangeError('maxItems must be a positive integer');
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw new RangeError('maxBytes must be a positive integer');
  let items: { item: T; bytes: number }[] = [];
  let head = 0;
  let bytes = 0;
  let dropped = 0;

  function evictOldest(): void {
    const entry = items[head]!;
    items[head++] = undefined as unknown as { item: T; bytes: number };
    bytes -= entry.bytes;
    dropped++;
    onEvict(entry.item);
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  }

  return {
    push(item, size) {
      if (size > maxBytes) {
        dropped++;
        return false;
      }
      items.push({ item, bytes: size });
      bytes += size;
      while (items.length - head > maxItems || bytes > maxBytes) evictOldest();
      return true;
    },
    values: () => items.slice(head).map((e) => e.item),
    stats: () => ({ items: items.length - head, bytes, maxItems, maxBytes, dropped }),
  };
}
