import {
  ROOT_CONTEXT,
  context,
  propagation,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * W3C trace context as Kafka record headers, plus the CloudEvents
 * distributed-tracing extension (`ce_traceparent`, `ce_tracestate`), which is
 * what a CloudEvents-aware tool reads from a binary-mode record.
 */
export const traceHeaderNames = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  ceTraceparent: 'ce_traceparent',
  ceTracestate: 'ce_tracestate',
} as const;

/**
 * The trace context of `ctx` (default: the active one) as a W3C carrier, as
 * the globally registered propagator writes it. Empty when nothing is traced
 * or no SDK is registered, so callers can store or skip it cheaply.
 */
export function captureTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** `captureTraceContext` for a record: the W3C headers and their `ce_` twins. */
export function traceHeadersOf(ctx: Context): Record<string, string> {
  const carrier = captureTraceContext(ctx);
  const traceparent = carrier[traceHeaderNames.traceparent];
  if (traceparent === undefined) return carrier;
  carrier[traceHeaderNames.ceTraceparent] = traceparent;
  const tracestate = carrier[traceHeaderNames.tracestate];
  if (tracestate !== undefined) carrier[traceHeaderNames.ceTracestate] = tracestate;
  return carrier;
}

/**
 * The context a record's headers carry, falling back to the CloudEvents
 * extension for a record written by a producer that set only that one.
 * ROOT_CONTEXT-based, never the caller's: a consumer must not parent one
 * event's span on whatever happened to be active.
 */
export function contextFromHeaders(headers: Readonly<Record<string, string>>): Context {
  const traceparent =
    headers[traceHeaderNames.traceparent] ?? headers[traceHeaderNames.ceTraceparent];
  if (traceparent === undefined) return ROOT_CONTEXT;
  const tracestate = headers[traceHeaderNames.tracestate] ?? headers[traceHeaderNames.ceTracestate];
  const carrier: Record<string, string> = { traceparent };
  if (tracestate !== undefined) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The remote span context the headers name, when it is a valid one (for span links). */
export function spanContextFromHeaders(
  headers: Readonly<Record<string, string>>,
): SpanContext | undefined {
  const spanContext = trace.getSpanContext(contextFromHeaders(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A stored carrier (JSON text, or null) back into a context; ROOT_CONTEXT when unreadable. */
export function contextFromStored(stored: string | null): Context {
  if (!stored) return ROOT_CONTEXT;
  try {
    const carrier = JSON.parse(stored) as unknown;
    if (typeof carrier !== 'object' || carrier === null) return ROOT_CONTEXT;
    return contextFromHeaders(carrier as Record<string, string>);
  } catch {
    // A damaged column must never keep an event from being published.
    return ROOT_CONTEXT;
  }
}

/**
 * The context an event's own work should run in: the active one when its
 * span is in the event's trace (the event's process span), else the context
 * the record carries (a run's span is in a trace of its own and only links
 * to the event's), so work done for one event of a run still joins that
 * event's trace.
 */
export function eventContext(record: {
  readonly headers: Readonly<Record<string, string>>;
}): Context {
  const carried = contextFromHeaders(record.headers);
  const active = trace.getActiveSpan()?.spanContext();
  const producer = trace.getSpanContext(carried);
  if (active && producer && active.traceId === producer.traceId) return context.active();
  return carried;
}
