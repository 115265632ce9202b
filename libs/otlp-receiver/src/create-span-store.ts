import type { ReceivedSpan } from './received-span';

export interface SpanStoreOptions {
  /** Most spans kept; older ones are dropped first. */
  readonly maxSpans?: number;
  /** Most bytes kept, counting each span as its JSON text; older spans are dropped first. */
  readonly maxBytes?: number;
}

/** One trace at a glance, as `traces list` and a console's trace table show it. */
export interface TraceSummary {
  readonly traceId: string;
  /** The span without a parent, else the earliest span whose parent was never received. */
  readonly root: ReceivedSpan;
  readonly services: readonly string[];
  readonly spanCount: number;
  readonly errorCount: number;
  readonly startTimeUnixNano: string;
  /** From the earliest start to the latest end of its spans. */
  readonly durationMs: number;
}

export interface SpanStoreStats {
  readonly spans: number;
  readonly traces: number;
  readonly bytes: number;
  /** Spans dropped, since the store was created, to stay inside the bounds. */
  readonly droppedSpans: number;
}

export type SpanListener = (spans: readonly ReceivedSpan[]) => void;

export interface SpanStore {
  /**
   * Adds spans in arrival order. A span already held (an exporter retrying
   * after a lost response sends it again) is skipped. Returns the spans added
   * and how many older spans were dropped to make room.
   */
  add(spans: readonly ReceivedSpan[]): { added: ReceivedSpan[]; dropped: number };
  /** Every trace held, the most recently started first. */
  traces(): TraceSummary[];
  /** A trace's spans in start order, or undefined when none of its spans is held. */
  trace(traceId: string): ReceivedSpan[] | undefined;
  /** Every span held, in arrival order (the oldest first). */
  all(): ReceivedSpan[];
  /** Calls the listener with each added batch; returns the unsubscribe function. */
  subscribe(listener: SpanListener): () => void;
  stats(): SpanStoreStats;
}

export const defaultMaxSpans = 50_000;
export const defaultMaxBytes = 64 * 1024 * 1024;

interface Entry {
  readonly span: ReceivedSpan;
  readonly bytes: number;
}

/**
 * The most recent spans in memory, bounded in count and bytes. Spans leave in
 * arrival order, so the oldest go first and a trace may lose its early spans
 * before its late ones; `droppedSpans` says that happened.
 */
export function createSpanStore(options: SpanStoreOptions = {}): SpanStore {
  const maxSpans = options.maxSpans ?? defaultMaxSpans;
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  if (!(Number.isInteger(maxSpans) && maxSpans > 0))
    throw new RangeError('maxSpans must be a positive integer');
  if (!(Number.isInteger(maxBytes) && maxBytes > 0))
    throw new RangeError('maxBytes must be a positive integer');

  // A queue with a moving head: shifting a large array on every eviction would be quadratic.
  let queue: Entry[] = [];
  let head = 0;
  let bytes = 0;
  let droppedSpans = 0;
  // Per trace, its entries in arrival order: the oldest entry overall is always first in its trace.
  const byTrace = new Map<string, Entry[]>();
  const listeners = new Set<SpanListener>();

  function evictOldest(): void {
    const entry = queue[head]!;
    queue[head++] = undefined as unknown as Entry;
    bytes -= entry.bytes;
    droppedSpans++;
    const entries = byTrace.get(entry.span.traceId)!;
    entries.shift();
    if (entries.length === 0) byTrace.delete(entry.span.traceId);
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  return {
    add(spans) {
      const before = droppedSpans;
      const added: ReceivedSpan[] = [];
      for (const span of spans) {
        const size = Buffer.byteLength(JSON.stringify(span));
        if (size > maxBytes) {
          droppedSpans++;
          continue;
        }
        const entries = byTrace.get(span.traceId);
        if (entries?.some((e) => e.span.spanId === span.spanId)) continue;
        const entry = { span, bytes: size };
        queue.push(entry);
        bytes += size;
        if (entries) entries.push(entry);
        else byTrace.set(span.traceId, [entry]);
        added.push(span);
        while (queue.length - head > maxSpans || bytes > maxBytes) evictOldest();
      }
      if (added.length > 0) {
        for (const listener of listeners) {
          // A failing subscriber (say, a console whose socket closed) must not stop the others or the receiver.
          try {
            listener(added);
          } catch {
            listeners.delete(listener);
          }
        }
      }
      return { added, dropped: droppedSpans - before };
    },

    traces() {
      const summaries = [...byTrace.values()].map((entries) =>
        summarize(entries.map((e) => e.span)),
      );
      return summaries.sort((a, b) => compareNanos(b.startTimeUnixNano, a.startTimeUnixNano));
    },

    trace(traceId) {
      const entries = byTrace.get(traceId.toLowerCase());
      return entries && sortByStart(entries.map((e) => e.span));
    },

    all() {
      return queue.slice(head).map((e) => e.span);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    stats() {
      return { spans: queue.length - head, traces: byTrace.size, bytes, droppedSpans };
    },
  };
}

function compareNanos(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function sortByStart(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.sort((a, b) => compareNanos(a.startTimeUnixNano, b.startTimeUnixNano));
}

/** Summarizes one trace's spans (any order). */
export function summarize(spans: readonly ReceivedSpan[]): TraceSummary {
  const sorted = sortByStart([...spans]);
  const ids = new Set(sorted.map((s) => s.spanId));
  const root =
    sorted.find((s) => s.parentSpanId === undefined) ??
    sorted.find((s) => !ids.has(s.parentSpanId!)) ??
    sorted[0]!;
  let start = BigInt(sorted[0]!.startTimeUnixNano);
  let end = start;
  for (const s of sorted) {
    const e = BigInt(s.endTimeUnixNano);
    if (e > end) end = e;
    const b = BigInt(s.startTimeUnixNano);
    if (b < start) start = b;
  }
  return {
    traceId: root.traceId,
    root,
    services: [...new Set(sorted.map((s) => s.service))],
    spanCount: sorted.length,
    errorCount: sorted.filter((s) => s.status.code === 'error').length,
    startTimeUnixNano: start.toString(),
    durationMs: Number((end - start) / 1000n) / 1000,
  };
}
