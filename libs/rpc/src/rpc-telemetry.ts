import {
  context,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Histogram,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ErrorInfoSchema } from '@switchboard/contracts';
import { decodeStatusDetails } from './error-details/decode-status-details';
import { ERROR_DOMAIN } from './error-details/error-domain';

// Why not @opentelemetry/instrumentation-grpc: checked with a bundled process,
// it does see calls through our adapter (it wraps Server.prototype.register)
// and our transport (Client.prototype.makeUnaryRequest), but only when its
// require hook is in place before grpc-js loads (never under jest), it names
// spans `grpc.<service>/<method>`, records no duration metrics, and cannot
// know the domain error code or tell a deadline from a cancellation as the
// adapter does. So libs/rpc instruments itself, once; enabling both would
// double every span.
//
// Only the global API: everything here is a no-op until libs/telemetry
// registers the SDK, so libs/rpc stays usable (and testable) without it.
const tracer = trace.getTracer('switchboard/rpc');

/** `rpc.server.duration` / `rpc.client.duration`: milliseconds, as the stable RPC conventions name them. */
let histograms: { server: Histogram; client: Histogram } | undefined;
let histogramsOf: unknown;
function durationHistograms() {
  // The global meter provider may be set after this module loads; instruments
  // made from the no-op one would stay no-ops, so they follow the provider.
  const provider = metrics.getMeterProvider();
  if (histograms === undefined || histogramsOf !== provider) {
    const meter = metrics.getMeter('switchboard/rpc');
    const advice = {
      explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    };
    histograms = {
      server: meter.createHistogram('rpc.server.duration', {
        unit: 'ms',
        description: 'Duration of incoming gRPC calls, by method and status',
        advice,
      }),
      client: meter.createHistogram('rpc.client.duration', {
        unit: 'ms',
        description: 'Duration of outgoing gRPC calls, by method and status',
        advice,
      }),
    };
    histogramsOf = provider;
  }
  return histograms;
}

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get(carrier, key) {
    const values = carrier.get(key);
    // The common case (one text value, or none) without a filtered copy.
    if (values.length === 0) return undefined;
    if (values.length === 1) return typeof values[0] === 'string' ? values[0] : undefined;
    const texts = values.filter((v): v is string => typeof v === 'string');
    return texts.length === 0 ? undefined : texts.length === 1 ? texts[0] : texts;
  },
};

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

// Server-side faults per the gRPC semantic conventions; the others are the caller's doing.
const SERVER_FAULTS = new Set<number>([
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.INTERNAL,
  grpc.status.UNAVAILABLE,
  grpc.status.DATA_LOSS,
]);

type Attributes = Readonly<Record<string, string | number>>;

// A server has a handful of methods and a call ends with one of 17 status
// codes, so the attribute objects of spans and durations are made once per
// method (and status) and shared: a call no longer slices its method name
// and spreads a new object twice. The SDK copies span attributes and only
// reads metric attributes, so sharing frozen objects is safe. Bounded by the
// methods this process serves and calls (unknown methods are refused before
// a span starts).
const spanAttributesByMethod = new Map<string, Attributes>();
const durationAttributesByMethod = new Map<string, Map<number, Attributes>>();

function attributesOf(methodName: string): Attributes {
  let attributes = spanAttributesByMethod.get(methodName);
  if (attributes === undefined) {
    const slash = methodName.indexOf('/');
    attributes = Object.freeze({
      'rpc.system': 'grpc',
      'rpc.service': methodName.slice(0, slash),
      'rpc.method': methodName.slice(slash + 1),
    });
    spanAttributesByMethod.set(methodName, attributes);
  }
  return attributes;
}

function durationAttributesOf(methodName: string, code: number): Attributes {
  let byCode = durationAttributesByMethod.get(methodName);
  if (byCode === undefined) {
    byCode = new Map();
    durationAttributesByMethod.set(methodName, byCode);
  }
  let attributes = byCode.get(code);
  if (attributes === undefined) {
    attributes = Object.freeze({ ...attributesOf(methodName), 'rpc.grpc.status_code': code });
    byCode.set(code, attributes);
  }
  return attributes;
}

export interface RpcOutcome {
  /** The numeric gRPC status code. */
  code: number;
  message?: string;
  /** The catalogue code (ErrorInfo's reason), when the call failed with one. */
  errorCode?: string;
}

export interface RpcSpan {
  /** The context to run the handler (or the outgoing call) in: the span is active there. */
  readonly context: Context;
  end(outcome: RpcOutcome): void;
}

function finishSpan(
  span: Span,
  histogram: Histogram,
  methodName: string,
  startedAt: number,
  outcome: RpcOutcome,
  isFault: (code: number) => boolean,
) {
  const durationMs = performance.now() - startedAt;
  histogram.record(durationMs, durationAttributesOf(methodName, outcome.code));
  if (!span.isRecording()) return;
  span.setAttribute('rpc.grpc.status_code', outcome.code);
  if (outcome.errorCode !== undefined) span.setAttribute('rpc.error_code', outcome.errorCode);
  if (isFault(outcome.code)) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: outcome.message ?? grpc.status[outcome.code],
    });
  }
  span.end();
}

/**
 * A SERVER span for one incoming call, parented on the `traceparent` (and
 * `tracestate`) the caller sent in the metadata. A stream's span lasts the
 * stream's life: `end` is called once, when it finishes.
 */
export function startServerSpan(methodName: string, metadata: grpc.Metadata): RpcSpan {
  const startedAt = performance.now();
  const parent = propagation.extract(context.active(), metadata, metadataGetter);
  const span = tracer.startSpan(
    methodName,
    { kind: SpanKind.SERVER, attributes: attributesOf(methodName) },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end: (outcome) =>
      finishSpan(span, durationHistograms().server, methodName, startedAt, outcome, (code) =>
        SERVER_FAULTS.has(code),
      ),
  };
}

/**
 * A CLIENT span for one outgoing call, child of whatever is active (the
 * incoming call's span inside a handler), its context injected into the
 * metadata. Any failure is an error from the caller's point of view.
 */
export function startClientSpan(methodName: string, metadata: grpc.Metadata): RpcSpan {
  const startedAt = performance.now();
  // A caller outside any span may pick the trace itself with a traceparent header.
  let parent = context.active();
  if (trace.getSpan(parent) === undefined && metadata.get('traceparent').length > 0) {
    parent = propagation.extract(parent, metadata, metadataGetter);
  }
  const span = tracer.startSpan(
    methodName,
    { kind: SpanKind.CLIENT, attributes: attributesOf(methodName) },
    parent,
  );
  const active = trace.setSpan(parent, span);
  // The server's span is this span's child: set() replaces a traceparent the caller sent.
  propagation.inject(active, metadata, metadataSetter);
  return {
    context: active,
    end: (outcome) =>
      finishSpan(
        span,
        durationHistograms().client,
        methodName,
        startedAt,
        outcome,
        (code) => code !== grpc.status.OK,
      ),
  };
}

/** The catalogue code a failed call carried as its ErrorInfo's reason. */
export function errorCodeOf(metadata: grpc.Metadata | undefined): string | undefined {
  const packed = decodeStatusDetails(metadata).find((d) => d.type === ErrorInfoSchema.typeName);
  if (packed === undefined) return undefined;
  try {
    const info = fromBinary(ErrorInfoSchema, packed.value);
    return info.domain === ERROR_DOMAIN ? info.reason : undefined;
  } catch {
    return undefined;
  }
}
