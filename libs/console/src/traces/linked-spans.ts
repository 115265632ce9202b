import type { ReceivedSpan, SpanStore } from '@switchboard/otlp-receiver';

/**
 * Spans of other traces that link to one of this trace's spans, with their
 * descendants: a consumer that handles a batch starts a trace of its own and
 * links it to each producer, so without them a trace would end at the
 * producer and the Kafka hop would not show.
 */
export function linkedSpans(
  spans: Pick<SpanStore, 'traces' | 'trace'>,
  traceId: string,
): ReceivedSpan[] {
  const found: ReceivedSpan[] = [];
  for (const summary of spans.traces()) {
    if (summary.traceId === traceId) continue;
    const other = spans.trace(summary.traceId) ?? [];
    const linking = other.filter((s) => s.links.some((l) => l.traceId === traceId));
    if (linking.length === 0) continue;
    const included = new Set(linking.map((s) => s.spanId));
    // Spans are in start order, so a parent comes before its children.
    for (const s of other) {
      if (included.has(s.spanId) || (s.parentSpanId && included.has(s.parentSpanId))) {
        included.add(s.spanId);
        found.push(s);
      }
    }
  }
  return found;
}
