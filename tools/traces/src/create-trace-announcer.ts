import { summarize, type SpanStore, type TraceSummary } from '@switchboard/otlp-receiver';

export interface TraceAnnouncerOptions {
  readonly store: SpanStore;
  /** A trace is announced once no span of it arrived for this long. */
  readonly quietMs: number;
  readonly announce: (summary: TraceSummary) => void;
  readonly now?: () => number;
}

/**
 * Tells the user about each trace the receiver got, once it has settled.
 * Spans arrive out of order (a child ends, and is exported, before its parent;
 * each service exports on its own), so announcing on arrival would name a
 * child as the root. Waiting until a trace has been quiet lets the summary
 * name the real root; a trace that grows later (a slow consumer) is announced
 * again with its new span count.
 */
export function createTraceAnnouncer(options: TraceAnnouncerOptions): { stop(): void } {
  const now = options.now ?? Date.now;
  const lastSeen = new Map<string, number>();
  const unsubscribe = options.store.subscribe((spans) => {
    for (const span of spans) lastSeen.set(span.traceId, now());
  });
  const timer = setInterval(
    () => {
      const settled = now() - options.quietMs;
      for (const [traceId, seen] of lastSeen) {
        if (seen > settled) continue;
        lastSeen.delete(traceId);
        const spans = options.store.trace(traceId);
        if (spans) options.announce(summarize(spans));
      }
    },
    Math.max(10, options.quietMs / 4),
  );
  timer.unref();
  return {
    stop() {
      unsubscribe();
      clearInterval(timer);
    },
  };
}
