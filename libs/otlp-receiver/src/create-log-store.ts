import { createBoundedQueue, type BoundedStats } from './bounded-queue';
import type { ReceivedLogRecord } from './received-log-record';

export interface LogStoreOptions {
  /** Most records kept; older ones are dropped first. */
  readonly maxRecords?: number;
  /** Most bytes kept, counting each record as its JSON text. */
  readonly maxBytes?: number;
}

export interface LogStore {
  /** Adds records in arrival order, dropping the oldest past the bounds; returns how many were dropped. */
  add(records: readonly ReceivedLogRecord[]): { dropped: number };
  /** The records that carry this trace id, in time order. */
  byTrace(traceId: string): ReceivedLogRecord[];
  /** The newest records, newest first. */
  recent(limit: number): ReceivedLogRecord[];
  stats(): BoundedStats;
}

export const defaultMaxLogRecords = 50_000;
export const defaultMaxLogBytes = 32 * 1024 * 1024;

/** The most recent log records in memory, bounded in count and bytes, indexed by trace id. */
export function createLogStore(options: LogStoreOptions = {}): LogStore {
  const byTrace = new Map<string, ReceivedLogRecord[]>();
  const queue = createBoundedQueue<ReceivedLogRecord>(
    options.maxRecords ?? defaultMaxLogRecords,
    options.maxBytes ?? defaultMaxLogBytes,
    (record) => {
      if (record.traceId === undefined) return;
      // The oldest record overall is the oldest of its trace: it is first in its list.
      const records = byTrace.get(record.traceId)!;
      records.shift();
      if (records.length === 0) byTrace.delete(record.traceId);
    },
  );
  return {
    add(records) {
      const before = queue.stats().dropped;
      for (const record of records) {
        const pushed = queue.push(record, Buffer.byteLength(JSON.stringify(record)));
        if (!pushed || record.traceId === undefined) continue;
        const list = byTrace.get(record.traceId);
        if (list) list.push(record);
        else byTrace.set(record.traceId, [record]);
      }
      return { dropped: queue.stats().dropped - before };
    },
    byTrace(traceId) {
      const records = [...(byTrace.get(traceId.toLowerCase()) ?? [])];
      return records.sort((a, b) => compareNanos(a.timeUnixNano, b.timeUnixNano));
    },
    recent(limit) {
      return queue.values().slice(-limit).reverse();
    },
    stats: () => queue.stats(),
  };
}

function compareNanos(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
