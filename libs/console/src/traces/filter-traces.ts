import { StatusFilter, type ListTracesRequest } from '@switchboard/contracts';
import type { SpanStore, TraceSummary } from '@switchboard/otlp-receiver';

export const defaultTraceLimit = 50;

/**
 * The summaries (newest first, as the store gives them) that pass every
 * filter of the request. The method filter needs each trace's spans, so it
 * is checked last, on the traces the cheap filters left.
 */
export function filterTraces(
  spans: Pick<SpanStore, 'traces' | 'trace'>,
  request: Pick<ListTracesRequest, 'service' | 'method' | 'status' | 'minDurationMs' | 'traceId'>,
): TraceSummary[] {
  const prefix = request.traceId.toLowerCase();
  return spans
    .traces()
    .filter(
      (t) =>
        (prefix === '' || t.traceId.startsWith(prefix)) &&
        (request.service === '' || t.services.includes(request.service)) &&
        (request.status !== StatusFilter.ERROR || t.errorCount > 0) &&
        (request.status !== StatusFilter.OK || t.errorCount === 0) &&
        t.durationMs >= request.minDurationMs &&
        (request.method === '' ||
          (spans.trace(t.traceId) ?? []).some((s) => s.name === request.method)),
    );
}
