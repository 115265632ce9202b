import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  TraceFlags,
  context as contextApi,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { RandomIdGenerator, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';

const NO_ATTRIBUTES = Object.freeze({});

/**
 * The tracer provider of a process that exports no spans: every span is a
 * non-recording one that carries ids and nothing else, so log lines still
 * name the trace and span they were written in, and traceparent still goes
 * out in gRPC metadata and Kafka headers, while no span object, attribute
 * copy, processor call or end-of-span bookkeeping is ever made. The SDK's own
 * tracer with a NoopSpanProcessor built and dropped all of that per span:
 * 2.6 µs of CPU for a server span against 0.5 µs here, measured on a busy
 * 2-core machine (start, three attributes, end; best of five runs).
 *
 * The sampled flag is the configured sampler's decision (by default: the
 * caller's flag, or sampled at a root), not "not sampled": a service
 * downstream that does export keeps its part of the trace. The specification
 * asks an SDK never to make a sampled span that does not record, because it
 * leaves a gap in the trace; here the gap is there anyway, since nothing
 * leaves this process.
 */
export function createPropagatingTracerProvider(sampler: Sampler): TracerProvider {
  const ids = new RandomIdGenerator();

  function startSpan(name: string, options: SpanOptions = {}, ctx = contextApi.active()): Span {
    if (isTracingSuppressed(ctx)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = options.root ? undefined : trace.getSpanContext(ctx);
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const traceId = valid ? parent.traceId : ids.generateTraceId();
    const parentContext = options.root ? trace.deleteSpan(ctx) : ctx;
    const { decision, traceState } = sampler.shouldSample(
      parentContext,
      traceId,
      name,
      options.kind ?? SpanKind.INTERNAL,
      options.attributes ?? NO_ATTRIBUTES,
      options.links ?? [],
    );
    return trace.wrapSpanContext({
      traceId,
      spanId: ids.generateSpanId(),
      traceFlags:
        decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: traceState ?? (valid ? parent.traceState : undefined),
    });
  }

  const tracer: Tracer = {
    startSpan,
    startActiveSpan<F extends (span: Span) => unknown>(
      name: string,
      ...args: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
    ): ReturnType<F> {
      const fn = args[args.length - 1] as F;
      const options = args.length > 1 ? (args[0] as SpanOptions) : undefined;
      const ctx = args.length > 2 ? (args[1] as Context) : contextApi.active();
      const span = startSpan(name, options, ctx);
      return contextApi.with(trace.setSpan(ctx, span), () => fn(span) as ReturnType<F>);
    },
  };
  // One tracer for every scope: it keeps no per-scope state.
  return { getTracer: () => tracer };
}
