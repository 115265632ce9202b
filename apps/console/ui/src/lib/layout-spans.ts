/**
 * The waterfall's rows: each span under its parent (or, for a consumer that is
 * not its producer's child, under the span it links to), children in start
 * order, with where its bar starts and how long it is relative to the trace.
 * Pure, so it is tested without a browser.
 */
export interface SpanLike {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Span ids this span links to (same trace only matters here). */
  readonly linkedSpanIds: readonly string[];
  readonly isConsumer: boolean;
  readonly isProducer: boolean;
}

export interface SpanRow<S extends SpanLike> {
  readonly span: S;
  readonly depth: number;
  /** 0..1 of the trace's duration. */
  readonly offset: number;
  readonly width: number;
  /** For a consumer caused by a producer in this trace: the wait in Kafka. */
  readonly queued?: {
    readonly producer: S;
    readonly offset: number;
    readonly width: number;
    readonly ms: number;
  };
  /** Placed under a span it only links to. */
  readonly viaLink: boolean;
}

export function layoutSpans<S extends SpanLike>(
  spans: readonly S[],
): {
  rows: SpanRow<S>[];
  startMs: number;
  durationMs: number;
} {
  if (spans.length === 0) return { rows: [], startMs: 0, durationMs: 0 };
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const startMs = Math.min(...spans.map((s) => s.startMs));
  const endMs = Math.max(...spans.map((s) => s.endMs));
  const durationMs = Math.max(endMs - startMs, 0.001);
  const upOf = (s: S): { up?: S; viaLink: boolean } => {
    const parent = byId.get(s.parentSpanId);
    if (parent && parent !== s) return { up: parent, viaLink: false };
    const linked = s.linkedSpanIds.map((id) => byId.get(id)).find((l) => l && l !== s);
    return linked ? { up: linked, viaLink: true } : { viaLink: false };
  };
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  const via = new Map<string, boolean>();
  for (const s of spans) {
    const { up, viaLink } = upOf(s);
    via.set(s.spanId, viaLink);
    if (up) children.set(up.spanId, [...(children.get(up.spanId) ?? []), s]);
    else roots.push(s);
  }
  const byStart = (a: S, b: S) => a.startMs - b.startMs;
  const rows: SpanRow<S>[] = [];
  const seen = new Set<string>();
  const visit = (s: S, depth: number) => {
    // A cycle of parents and links (broken data) must not hang the page.
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    rows.push({
      span: s,
      depth,
      offset: (s.startMs - startMs) / durationMs,
      width: Math.max(s.endMs - s.startMs, 0) / durationMs,
      queued: queuedFor(s),
      viaLink: via.get(s.spanId) ?? false,
    });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) visit(c, depth + 1);
  };
  const queuedFor = (s: S): SpanRow<S>['queued'] => {
    if (!s.isConsumer) return undefined;
    const producer = [s.parentSpanId, ...s.linkedSpanIds]
      .map((id) => byId.get(id))
      .find((p) => p?.isProducer);
    if (!producer) return undefined;
    const from = producer.endMs;
    const ms = Math.max(s.startMs - from, 0);
    return { producer, offset: (from - startMs) / durationMs, width: ms / durationMs, ms };
  };
  for (const r of [...roots].sort(byStart)) visit(r, 0);
  // Whatever a cycle kept out of the tree still gets a row.
  for (const s of [...spans].sort(byStart)) visit(s, 0);
  return { rows, startMs, durationMs };
}
