import { isIP } from 'node:net';
import type { DescMethod, MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import {
  createGrpcJsTransport,
  createServiceClient,
  errorDetailsOf,
  toConnectError,
  type ClientTls,
  type GrpcJsTransport,
} from '@switchboard/rpc';
import type { RateLimiter } from './create-rate-limiter';
import { exposedServices, type ExposedService, type UpstreamKey } from './exposed-services';

/** What the edge knows of one incoming call, whatever its protocol. */
export interface EdgeCall {
  /** Lower-case header names, as node gives them. */
  readonly headers: Headers;
  /** The client's deadline (connect-timeout-ms / grpc-timeout), if it sent one. */
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal;
  readonly requestId: string;
  /** The peer address: per-client limits count by it. */
  readonly clientAddress: string;
}

/** Headers a client may send that the services read. Nothing else crosses the edge. */
const FORWARDED = ['authorization', 'idempotency-key', 'traceparent', 'tracestate'];

export interface Upstreams {
  readonly services: readonly ExposedService[];
  unary(method: DescMethod, request: unknown, call: EdgeCall): Promise<unknown>;
  /**
   * Resolves once the service accepted the stream (its headers arrived), or
   * rejects with its refusal, so a caller can answer a status before the first message.
   */
  stream(method: DescMethod, request: unknown, call: EdgeCall): Promise<AsyncIterable<unknown>>;
  /** grpc.health.v1 of each upstream: SERVING, NOT_SERVING, or UNREACHABLE. */
  health(timeoutMs: number): Promise<Record<UpstreamKey, string>>;
  close(): void;
}

export interface UpstreamsOptions {
  addresses: Record<UpstreamKey, string>;
  tls?: ClientTls;
  /** The deadline of a call whose client sent none; a client's own is capped by it too. */
  defaultTimeoutMs: number;
  /** The longest a server stream may run; clients reconnect after it. */
  streamMaxMs: number;
  /** Per client address, on the methods that make accounts and tokens. */
  authLimiter: RateLimiter;
}

/** The methods an attacker would hammer: guessing passwords, making accounts. */
const RATE_LIMITED = new Set([
  'switchboard.auth.v1.AuthService/Login',
  'switchboard.auth.v1.AuthService/Register',
]);

/** Retry-After, in whole seconds (at least 1), for clients that read HTTP rather than RetryInfo. */
function retryAfter(retryAfterMs: number | undefined): Headers {
  return retryAfterMs === undefined
    ? new Headers()
    : new Headers({ 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });
}

/**
 * Keeps only what a client may see of an upstream failure: code, message and
 * the error details, which Connect and gRPC-Web pass on as they came.
 */
function cleanError(err: unknown): ConnectError {
  if (!(err instanceof ConnectError)) return new ConnectError('internal error', Code.Internal);
  const { reason, retryAfterMs } = errorDetailsOf(err);
  const metadata = retryAfter(retryAfterMs);
  // Without an error code the status is grpc-js's own (a deadline, a refused
  // connection), whose text names internal addresses: the client gets a plain one.
  if (reason === undefined) {
    const plain = PLAIN_MESSAGES[err.code];
    if (plain !== undefined) return new ConnectError(plain, err.code, metadata);
  }
  const clean = new ConnectError(err.rawMessage, err.code, metadata);
  clean.details = err.details;
  return clean;
}

const PLAIN_MESSAGES: Partial<Record<Code, string>> = {
  [Code.DeadlineExceeded]: 'the service did not answer in time',
  [Code.Unavailable]: 'the service is unavailable; retry later',
  [Code.Canceled]: 'the call was cancelled',
  [Code.Internal]: 'internal error',
  [Code.Unknown]: 'internal error',
};

/**
 * The typed clients of the five public services over our grpc-js transport,
 * and the one path every protocol of the edge forwards through: the caller's
 * token and idempotency key, the deadline, the request id and the trace
 * context go along; the rate limit of Login and Register is checked here so
 * that REST, Connect and gRPC-Web share one budget per client.
 */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const services = exposedServices();
  const transports = new Map<UpstreamKey, GrpcJsTransport>();
  const keyOf = new Map(services.map((s) => [s.desc.typeName, s.key]));
  const clients = new Map<string, Record<string, (req: unknown, opts: unknown) => unknown>>();
  for (const service of services) {
    const transport = createGrpcJsTransport({
      address: options.addresses[service.key],
      tls: options.tls,
      defaultTimeoutMs: options.defaultTimeoutMs,
    });
    transports.set(service.key, transport);
    clients.set(
      service.desc.typeName,
      createServiceClient(service.desc, transport) as unknown as Record<
        string,
        (req: unknown, opts: unknown) => unknown
      >,
    );
  }
  const healthClients = [...transports].map(
    ([key, transport]) => [key, createServiceClient(Health, transport)] as const,
  );

  function prepare(method: DescMethod, call: EdgeCall, maxMs = options.defaultTimeoutMs) {
    const name = `${method.parent.typeName}/${method.name}`;
    if (RATE_LIMITED.has(name)) {
      const decision = options.authLimiter.take(call.clientAddress);
      if (!decision.allowed) {
        const { retryAfterMs } = decision;
        const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
        const refusal = toConnectError(
          new DomainError(
            'RATE_LIMITED',
            `too many ${method.name} attempts from this address; retry in ${seconds} s`,
            { details: { retryAfterMs } },
          ),
        );
        retryAfter(retryAfterMs).forEach((value, key) => refusal.metadata.set(key, value));
        throw refusal;
      }
    }
    const headers = new Headers({ 'x-request-id': call.requestId });
    for (const key of FORWARDED) {
      const value = call.headers.get(key);
      if (value !== null) headers.set(key, value);
    }
    // Auth counts Login and Register per client address; without this every
    // edge user would share the edge's. Auth believes it only from the
    // addresses in AUTH_TRUSTED_PROXIES. What the client sent is not passed on:
    // the edge vouches only for the address it saw.
    if (isIP(call.clientAddress) !== 0) headers.set('x-forwarded-for', call.clientAddress);
    const timeoutMs = Math.min(call.timeoutMs ?? maxMs, maxMs);
    const client = clients.get(method.parent.typeName);
    const fn = client?.[method.localName];
    const transport = transports.get(keyOf.get(method.parent.typeName)!);
    if (fn === undefined || transport === undefined) {
      throw new ConnectError(`${name} is not served here`, Code.NotFound);
    }
    // Inside the edge's request span (telemetry started) the transport's client
    // span is that span's child, and its traceparent replaces the caller's.
    // Outside one, the incoming traceparent becomes the active context, so the
    // services' spans still join the caller's trace.
    const active = context.active();
    const parent =
      trace.getSpan(active) !== undefined
        ? active
        : propagation.extract(ROOT_CONTEXT, {
            traceparent: call.headers.get('traceparent') ?? undefined,
            tracestate: call.headers.get('tracestate') ?? undefined,
          });
    const run = <T>(f: () => T) => context.with(parent, f);
    return { fn, transport, run, opts: { headers, timeoutMs, signal: call.signal } };
  }

  return {
    services,
    async unary(method, request, call) {
      const { fn, run, opts } = prepare(method, call);
      try {
        return await run(() => fn(request, opts) as Promise<MessageShape<typeof method.output>>);
      } catch (err) {
        throw cleanError(err);
      }
    },
    async stream(method, request, call) {
      const { transport, run, opts } = prepare(method, call, options.streamMaxMs);
      let response;
      try {
        // The transport itself, not the typed client: it resolves when the
        // stream is accepted, which the client's iterable does not tell.
        response = await run(() =>
          transport.stream(
            method as DescMethod & { methodKind: 'server_streaming' },
            opts.signal,
            opts.timeoutMs,
            opts.headers,
            (async function* () {
              yield request as never;
            })(),
          ),
        );
      } catch (err) {
        throw cleanError(err);
      }
      // The transport ends the iteration as soon as the signal aborts (a client
      // gone, the edge shutting down), buffered messages or not.
      const messages = response.message;
      return (async function* () {
        try {
          yield* messages;
        } catch (err) {
          throw cleanError(err);
        }
      })();
    },
    async health(timeoutMs) {
      const entries = await Promise.all(
        healthClients.map(async ([key, client]) => {
          try {
            const { status } = await client.check({ service: '' }, { timeoutMs });
            return [key, ServingStatus[status] ?? 'UNKNOWN'] as const;
          } catch {
            return [key, 'UNREACHABLE'] as const;
          }
        }),
      );
      return Object.fromEntries(entries) as Record<UpstreamKey, string>;
    },
    close() {
      for (const transport of transports.values()) transport.close();
    },
  };
}
