import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport } from '@connectrpc/connect';
import type { StreamResponse, UnaryResponse } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { grpcTargetOf } from '@switchboard/config';
import { decodeStatusDetails } from './error-details/decode-status-details';
import { incomingCall } from './incoming-call';
import { errorCodeOf, startClientSpan, type RpcSpan } from './rpc-telemetry';
import { createChannelCredentials } from './tls/create-channel-credentials';
import type { ClientTls } from './tls/tls-settings';

export interface GrpcJsTransportOptions {
  /**
   * Where the server is: host:port, a target such as dns:///name:port, or a
   * comma-separated list of ip:port replicas (see grpcTargetOf).
   */
  address: string;
  /** Applied when the caller gives no timeout, so no call can wait forever. Defaults to 5000. */
  defaultTimeoutMs?: number;
  /** grpc-js channel arguments, e.g. { 'grpc.keepalive_time_ms': 30000 }. */
  channelOptions?: Record<string, string | number>;
  /** Dial over TLS; plaintext when unset. A service gets it from its config with clientTlsOf. */
  tls?: ClientTls;
}

/** A connect Transport over a grpc-js channel; close() releases the channel. */
export interface GrpcJsTransport extends Transport {
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 5000;
/**
 * Spread calls over every address the target resolves to. grpc-js's default,
 * pick_first, sends every call of a channel to one replica: behind a headless
 * Service, or with a list of replicas, the others would sit idle, and a
 * stopped one would cost a reconnect instead of being routed around.
 */
const ROUND_ROBIN_SERVICE_CONFIG = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
// Set by grpc-js itself; copying them from caller headers would corrupt the call.
const RESERVED_HEADERS = new Set([
  'content-type',
  'te',
  'user-agent',
  'host',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
]);

// Not a global without the DOM lib; this is the type connect's Transport means.
type HeadersInit = ConstructorParameters<typeof Headers>[0];

const passThrough = (bytes: Buffer): Buffer => bytes;

function toMetadata(header: HeadersInit | undefined, requestId: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (header !== undefined) {
    new Headers(header).forEach((value, key) => {
      if (RESERVED_HEADERS.has(key)) return;
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(value, 'base64'));
      else metadata.add(key, value);
    });
  }
  // Lets one request be followed through every service it touches.
  if (requestId !== undefined && metadata.get('x-request-id').length === 0) {
    metadata.set('x-request-id', requestId);
  }
  return metadata;
}

function toHeaders(metadata: grpc.Metadata | undefined): Headers {
  const headers = new Headers();
  if (metadata === undefined) return headers;
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) {
      headers.append(key, typeof value === 'string' ? value : value.toString('base64'));
    }
  }
  return headers;
}

function toCode(grpcCode: number): Code {
  return grpcCode >= Code.Canceled && grpcCode <= Code.Unauthenticated ? grpcCode : Code.Unknown;
}

interface CallSetup {
  deadline: number;
  metadata: grpc.Metadata;
  signals: AbortSignal[];
}

/**
 * A failed status becomes a ConnectError whose error details findDetails()
 * decodes, as a Connect client's would; a cancellation we caused keeps the
 * reason of the signal that caused it (e.g. the incoming call's deadline).
 */
function toConnectError(status: grpc.StatusObject, signals: AbortSignal[]): ConnectError {
  if (status.code === grpc.status.CANCELLED) {
    const aborted = signals.find((s) => s.aborted);
    if (aborted !== undefined) return ConnectError.from(aborted.reason, Code.Canceled);
  }
  const error = new ConnectError(status.details, toCode(status.code), toHeaders(status.metadata));
  error.details = decodeStatusDetails(status.metadata);
  return error;
}

/** Ends a client span with the call's final status. */
function endWith(span: RpcSpan, status: grpc.StatusObject | null | undefined) {
  if (!status || status.code === grpc.status.OK) span.end({ code: grpc.status.OK });
  else
    span.end({
      code: status.code,
      message: status.details,
      errorCode: errorCodeOf(status.metadata),
    });
}

function onAbort(signals: AbortSignal[], cancel: () => void): () => void {
  for (const signal of signals) signal.addEventListener('abort', cancel, { once: true });
  return () => {
    for (const signal of signals) signal.removeEventListener('abort', cancel);
  };
}

function encode(schema: DescMessage, input: unknown): Buffer {
  const bytes = toBinary(schema, create(schema, input as MessageInitShape<DescMessage>));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Connect's client API on top of grpc-js. Every call gets a deadline: the
 * caller's timeout or the default, and never later than the deadline of the
 * incoming call being handled, so a slow dependency cannot make a service
 * work on answers nobody waits for any more.
 */
export function createGrpcJsTransport(options: GrpcJsTransportOptions): GrpcJsTransport {
  const client = new grpc.Client(
    grpcTargetOf(options.address),
    createChannelCredentials(options.tls),
    {
      'grpc.service_config': ROUND_ROBIN_SERVICE_CONFIG,
      ...options.channelOptions,
    },
  );
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  function setup(
    method: DescMethod,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: HeadersInit | undefined,
  ): CallSetup {
    const incoming = incomingCall.getStore();
    const signals: AbortSignal[] = [];
    if (signal !== undefined) signals.push(signal);
    if (incoming !== undefined) signals.push(incoming.signal);
    const now = Date.now();
    let timeout = timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : defaultTimeoutMs;
    if (incoming?.deadline !== undefined) {
      const remaining = incoming.deadline - now;
      if (remaining <= 0) {
        throw new ConnectError(
          `${method.parent.typeName}/${method.name} not called: the incoming call's deadline has passed`,
          Code.DeadlineExceeded,
        );
      }
      timeout = Math.min(timeout, remaining);
    }
    const aborted = signals.find((s) => s.aborted);
    if (aborted !== undefined) throw ConnectError.from(aborted.reason, Code.Canceled);
    return { deadline: now + timeout, metadata: toMetadata(header, incoming?.requestId), signals };
  }

  const path = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

  return {
    unary(method, signal, timeoutMs, header, input) {
      type Response = UnaryResponse<typeof method.input, typeof method.output>;
      return new Promise<Response>((resolve, reject) => {
        const { deadline, metadata, signals } = setup(method, signal, timeoutMs, header);
        const span = startClientSpan(`${method.parent.typeName}/${method.name}`, metadata);
        let responseHeader: grpc.Metadata | undefined;
        let responseTrailer: grpc.Metadata | undefined;
        const call = client.makeUnaryRequest(
          path(method),
          passThrough,
          (bytes: Buffer) => fromBinary(method.output, bytes),
          encode(method.input, input),
          metadata,
          { deadline },
          (err, message) => {
            release();
            endWith(span, err);
            if (err) {
              reject(toConnectError(err, signals));
              return;
            }
            if (message === undefined) {
              reject(new ConnectError('missing response message', Code.Internal));
              return;
            }
            // grpc-js emits 'status' right after this callback; the getters
            // read it lazily, and convert metadata only if anyone asks.
            resolve({
              stream: false,
              service: method.parent,
              method,
              message,
              get header() {
                return toHeaders(responseHeader);
              },
              get trailer() {
                return toHeaders(responseTrailer);
              },
            });
          },
        );
        const release = onAbort(signals, () => call.cancel());
        call.on('metadata', (md: grpc.Metadata) => (responseHeader = md));
        call.on('status', (status: grpc.StatusObject) => (responseTrailer = status.metadata));
      });
    },

    async stream(method, signal, timeoutMs, header, input) {
      if (method.methodKind !== 'server_streaming') {
        throw new ConnectError(
          `${method.methodKind} calls are not supported by this transport`,
          Code.Unimplemented,
        );
      }
      let request: unknown;
      for await (const message of input) {
        request = message;
        break;
      }
      const { deadline, metadata, signals } = setup(method, signal, timeoutMs, header);
      // One span for the stream's life: it ends with the stream's status.
      const span = startClientSpan(`${method.parent.typeName}/${method.name}`, metadata);
      const call = client.makeServerStreamRequest(
        path(method),
        passThrough,
        (bytes: Buffer) => fromBinary(method.output, bytes),
        encode(method.input, request),
        metadata,
        { deadline },
      );
      const release = onAbort(signals, () => call.cancel());
      call.once('status', (status: grpc.StatusObject) => endWith(span, status));
      type Output = MessageShape<typeof method.output>;
      const messages = readMessages<Output>(call, signals, release);
      const responseHeader = await messages.header;
      return {
        stream: true,
        service: method.parent,
        method,
        header: toHeaders(responseHeader),
        get trailer() {
          return toHeaders(messages.trailer());
        },
        message: messages.iterable,
      } satisfies StreamResponse<typeof method.input, typeof method.output>;
    },

    close() {
      client.close();
    },
  };
}

/**
 * Adapts a grpc-js response stream: resolves `header` when headers (or an
 * early failure) arrive, yields messages with backpressure, and ends with the
 * status. Leaving the loop early cancels the call. An abort ends it at the
 * next step with the abort's reason: the messages still buffered (up to two
 * high-water marks, ours and the stream's) are not for a caller who gave up,
 * and the end no longer hangs on the order grpc-js emits 'end' and 'status'.
 */
function readMessages<T>(
  call: grpc.ClientReadableStream<T>,
  signals: AbortSignal[],
  release: () => void,
) {
  const HIGH_WATER = 16;
  const queue: T[] = [];
  let status: grpc.StatusObject | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const header = new Promise<grpc.Metadata | undefined>((resolve, reject) => {
    call.once('metadata', (md: grpc.Metadata) => resolve(md));
    call.once('status', (s: grpc.StatusObject) => {
      if (s.code === grpc.status.OK) resolve(undefined);
      else reject(toConnectError(s, signals));
    });
  });
  call.on('data', (message: T) => {
    queue.push(message);
    if (queue.length >= HIGH_WATER) call.pause();
    notify();
  });
  call.on('end', () => {
    ended = true;
    notify();
  });
  // The status event carries the same failure; this listener only keeps the
  // 'error' event from being treated as unhandled.
  call.on('error', () => undefined);
  // Wakes a waiting reader itself rather than trusting the cancelled call to say more.
  const stopWaking = onAbort(signals, notify);
  call.on('status', (s: grpc.StatusObject) => {
    status = s;
    release();
    stopWaking();
    notify();
  });

  async function* iterate(): AsyncGenerator<T> {
    try {
      for (;;) {
        const aborted = signals.find((s) => s.aborted);
        if (aborted !== undefined) throw ConnectError.from(aborted.reason, Code.Canceled);
        const next = queue.shift();
        if (next !== undefined) {
          if (queue.length < HIGH_WATER / 2) call.resume();
          yield next;
          continue;
        }
        // 'end' comes once the buffered messages are delivered, 'status' with the outcome.
        if (ended && status !== undefined) {
          if (status.code !== grpc.status.OK) throw toConnectError(status, signals);
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      stopWaking();
      if (status === undefined) {
        call.cancel();
        release();
      }
    }
  }

  return { header, iterable: iterate(), trailer: () => status?.metadata };
}
