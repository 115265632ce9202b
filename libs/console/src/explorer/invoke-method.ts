import {
  create,
  fromJsonString,
  toJsonString,
  type DescMessage,
  type DescMethod,
  type DescMethodStreaming,
  type DescMethodUnary,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  InvokeResponseSchema,
  InvokeStatusSchema,
  type InvokeRequest,
  type InvokeResponse,
} from '@switchboard/contracts';
import { detailJson, type PackedDetail } from './details-json';
import type { FoundService, OmittedTarget } from './service-catalog';

/**
 * A streaming call runs until the browser goes away, but the transport gives
 * every call a deadline: this one is beyond any session at a console.
 */
const STREAM_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export interface InvokeContext {
  /** Aborted when the browser goes away: the upstream call is cancelled with it. */
  signal: AbortSignal;
  transport: Transport;
  tracer: Tracer;
  callTimeoutMs: number;
}

/**
 * The method the request names, or the reason it cannot be called from here.
 * An unknown service may be one whose server is down: those are named.
 */
export function methodToCall(
  found: FoundService | undefined,
  request: InvokeRequest,
  omitted: readonly OmittedTarget[],
): DescMethod {
  if (found === undefined) {
    const silent = omitted.map((o) => `${o.target.id} (${o.target.address})`).join(', ');
    throw new ConnectError(
      `no running service serves ${request.service} (the explorer asks each service through server reflection)` +
        (silent === '' ? '' : `; not answering: ${silent}`),
      Code.NotFound,
    );
  }
  const method = found.service.methods.find((m) => m.name === request.method);
  if (method === undefined) {
    const names = found.service.methods.map((m) => m.name).join(', ');
    throw new ConnectError(
      `${request.service} has no method ${request.method}; it has ${names}`,
      Code.NotFound,
    );
  }
  if (method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming') {
    throw new ConnectError(
      `${request.service}/${request.method} is ${method.methodKind.replace('_', '-')}: the explorer sends one request message, so it calls only unary and server-streaming methods`,
      Code.Unimplemented,
    );
  }
  return method;
}

/** The request JSON as the method's input, or INVALID_ARGUMENT saying what is wrong with it. */
export function parseRequest(method: DescMethod, found: FoundService, json: string) {
  try {
    return fromJsonString(method.input, json.trim() === '' ? '{}' : json, {
      registry: found.reflected.registry,
    });
  } catch (err) {
    throw new ConnectError(
      `request_json is not a ${method.input.typeName}: ${err instanceof Error ? err.message : String(err)}`,
      Code.InvalidArgument,
    );
  }
}

function statusResponse(
  err: ConnectError | undefined,
  found: FoundService,
  traceId: string,
): InvokeResponse {
  const code = err?.code ?? grpc.status.OK;
  const details = (err?.details ?? []).filter((d): d is PackedDetail => 'type' in d);
  return create(InvokeResponseSchema, {
    traceId,
    result: {
      case: 'status',
      value: create(InvokeStatusSchema, {
        code,
        codeName: grpc.status[code] ?? 'UNKNOWN',
        message: err?.rawMessage ?? '',
        detailsJson: details.map((d) => detailJson(d, found.reflected.registry)),
      }),
    },
  });
}

async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}

/**
 * Calls the method with the parsed input inside a span of the console's own:
 * the transport's client span is its child and puts the trace in the call's
 * `traceparent`, so the service's server span joins the trace whose id each
 * response carries. A failed call is not an error of Invoke: its status is
 * the last response, as a successful call's is.
 */
export async function* invokeMethod(
  found: FoundService,
  method: DescMethod,
  input: MessageShape<DescMessage>,
  token: string,
  ctx: InvokeContext,
): AsyncGenerator<InvokeResponse> {
  const name = `${method.parent.typeName}/${method.name}`;
  const span = ctx.tracer.startSpan(`explorer ${name}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      'rpc.service': method.parent.typeName,
      'rpc.method': method.name,
      'console.target': found.reflected.target.id,
    },
  });
  const spanContext = span.spanContext();
  // Without an SDK the span is a no-op with an all-zero id: there is no trace to link to.
  const traceId = trace.isSpanContextValid(spanContext) ? spanContext.traceId : '';
  const active = trace.setSpan(context.active(), span);
  const header = token === '' ? undefined : { authorization: `Bearer ${token}` };
  const registry = found.reflected.registry;
  const message = (value: MessageShape<DescMessage>, output: DescMessage) =>
    create(InvokeResponseSchema, {
      traceId,
      result: { case: 'messageJson', value: toJsonString(output, value, { registry }) },
    });
  try {
    // DescMethod does not narrow on methodKind; the casts follow the check.
    if (method.methodKind === 'unary') {
      const response = await context.with(active, () =>
        ctx.transport.unary(
          method as DescMethodUnary,
          ctx.signal,
          ctx.callTimeoutMs,
          header,
          input,
        ),
      );
      yield message(response.message, method.output);
    } else if (method.methodKind === 'server_streaming') {
      const response = await context.with(active, () =>
        ctx.transport.stream(
          method as DescMethodStreaming,
          ctx.signal,
          STREAM_TIMEOUT_MS,
          header,
          once(input),
        ),
      );
      for await (const each of response.message) yield message(each, method.output);
    }
    yield statusResponse(undefined, found, traceId);
  } catch (err) {
    // The browser is gone: there is nobody to tell.
    if (ctx.signal.aborted) throw err;
    const failure = ConnectError.from(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.rawMessage });
    yield statusResponse(failure, found, traceId);
  } finally {
    span.end();
  }
}
