/** W3C traceparent: version, trace id, parent span id, flags. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const INVALID_TRACE_ID = '0'.repeat(32);

/** The trace id a `traceparent` header carries, or '' when it carries none that is valid. */
export function traceIdOf(traceparent: string | undefined): string {
  const traceId = TRACEPARENT.exec(traceparent?.trim().toLowerCase() ?? '')?.[1];
  return traceId === undefined || traceId === INVALID_TRACE_ID ? '' : traceId;
}
