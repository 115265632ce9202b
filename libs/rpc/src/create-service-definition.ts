import { randomUUID } from 'node:crypto';
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { DomainError, isDomainError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import { resolveAccess, type Access, type AccessPolicy } from './access-policy';
import type { Authenticate, CallContext, Caller } from './call-context';
import { createRequestValidator } from './create-request-validator';
import { incomingCall, type IncomingCall } from './incoming-call';
import { startServerSpan } from './rpc-telemetry';
import { peerCertificateName } from './tls/peer-certificate-name';
import { watchStreamCredentials } from './watch-stream-credentials';
import { toGrpcStatus, type RpcStatus } from './to-grpc-status';
import { encodeStatusDetails } from './error-details/encode-status-details';
import { STATUS_DETAILS_BIN } from './error-details/status-details-bin';

export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => Promise<MessageInitShape<O>>;

export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: CallContext,
) => AsyncIterable<MessageInitShape<O>>;

/** Client and bidi streaming are not supported yet: such methods answer UNIMPLEMENTED. */
export type MethodHandler<M> =
  M extends DescMethodUnary<infer I, infer O>
    ? UnaryHandler<I, O>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? ServerStreamingHandler<I, O>
      : never;

/** The typed implementation of a protobuf-es service, keyed by method local name. */
export type ServiceImpl<Desc extends DescService> = {
  [K in keyof Desc['method']]: MethodHandler<Desc['method'][K]>;
};

export interface ServiceDefinitionOptions {
  logger: Logger;
  authenticate?: Authenticate;
  certifiedServices?: ReadonlySet<string>;
  /** How often a server stream's token is checked again (default 10 s). */
  streamRecheckMs?: number;
  access: AccessPolicy;
}

export interface GrpcService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/** The surface every grpc-js server call kind shares. */
interface ServerCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  getDeadline(): grpc.Deadline;
  getAuthContext(): ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;
  getPeer(): string;
  once(event: 'cancelled', listener: () => void): unknown;
  removeListener(event: 'cancelled', listener: () => void): unknown;
}

type AnyUnary = (request: unknown, ctx: CallContext) => Promise<unknown>;
type AnyStream = (request: unknown, ctx: CallContext) => AsyncIterable<unknown>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BEARER = /^Bearer +(\S+) *$/i;

// grpc-js only moves bytes: decoding happens inside the wrapper, where a
// malformed request can be answered with INVALID_ARGUMENT instead of the
// INTERNAL that a throwing grpc-js deserializer would produce.
const passThrough = (bytes: Buffer): Buffer => bytes;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The trailers of a failed call: its details, in the google.rpc.Status gRPC defines for them. */
function toMetadata(status: RpcStatus): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (status.details.length > 0) {
    metadata.set(
      STATUS_DETAILS_BIN,
      encodeStatusDetails(status.code, status.message, status.details),
    );
  }
  return metadata;
}

function deadlineOf(call: ServerCall): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

function peerOf(call: ServerCall): string | undefined {
  const peer = call.getPeer();
  return peer && peer !== 'unknown' ? peer : undefined;
}

/** Per-call state shared by all handler kinds: context, cancellation and the log line. */
function openCall(call: ServerCall, methodName: string, logger: Logger) {
  const startedAt = performance.now();
  // Active while the handler runs, so its outgoing calls and queries become children.
  const span = startServerSpan(methodName, call.metadata);
  const controller = new AbortController();
  const deadline = deadlineOf(call);
  const sentId = call.metadata.get('x-request-id')[0];
  const requestId = typeof sentId === 'string' && REQUEST_ID.test(sentId) ? sentId : randomUUID();

  // grpc-js reports its own deadline expiry as a plain cancellation; downstream
  // calls aborted by this signal should still say it was the deadline.
  const onCancelled = () =>
    controller.abort(
      deadline !== undefined && Date.now() >= deadline - 2
        ? new ConnectError('the call deadline passed', Code.DeadlineExceeded)
        : new ConnectError('the call was cancelled by the client', Code.Canceled),
    );
  call.once('cancelled', onCancelled);
  // grpc-js cancels on deadline too, but only once its own timer fires; ours
  // makes the signal exact and independent of that detail.
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    timer = setTimeout(
      () => controller.abort(new ConnectError('the call deadline passed', Code.DeadlineExceeded)),
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
  }

  let child: Logger | undefined;
  const ctx: CallContext = {
    method: methodName,
    requestId,
    // grpc-js answers 'unknown' when the socket is already gone.
    peerAddress: peerOf(call),
    header(name) {
      const value = call.metadata.get(name)[0];
      return typeof value === 'string' ? value : undefined;
    },
    signal: controller.signal,
    deadline: deadline === undefined ? undefined : new Date(deadline),
    // Read from the TLS socket only when asked: most calls never need it.
    get peerCertificateName() {
      return peerCertificateName(call);
    },
    // Most calls never log; a pino child per call would be wasted work.
    get logger() {
      child ??= logger.child({ method: methodName, requestId });
      return child;
    },
  };
  const store: IncomingCall = { deadline, signal: controller.signal, requestId };

  function finish(status: RpcStatus | undefined) {
    // Inside the span, so the closing log line carries the trace too.
    context.with(span.context, () => logFinish(status));
  }

  function logFinish(status: RpcStatus | undefined) {
    if (timer !== undefined) clearTimeout(timer);
    call.removeListener('cancelled', onCancelled);
    const durationMs = Math.round((performance.now() - startedAt) * 1000) / 1000;
    const line = { method: methodName, requestId, durationMs };
    // A cancelled call's status never reached the client; log why it ended instead.
    const reason: unknown = controller.signal.reason;
    const ended =
      reason instanceof ConnectError && reason.code === Code.DeadlineExceeded
        ? 'DEADLINE_EXCEEDED'
        : 'CANCELLED';
    const endedCode =
      ended === 'DEADLINE_EXCEEDED' ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
    span.end({
      code: call.cancelled ? endedCode : (status?.code ?? grpc.status.OK),
      message: status?.message,
      errorCode: status?.errorCode,
    });
    if (status === undefined) {
      logger.debug({ ...line, code: call.cancelled ? ended : 'OK' }, 'rpc');
      return;
    }
    const code = call.cancelled ? ended : grpc.status[status.code];
    const fields = { ...line, code, message: status.message };
    // An INTERNAL is a bug: it is the one outcome that needs someone's attention.
    if (status.code === grpc.status.INTERNAL && !call.cancelled) {
      logger.error({ ...fields, err: status.cause }, 'rpc failed');
    } else if (status.cause !== undefined) {
      logger.info({ ...fields, err: status.cause }, 'rpc failed');
    } else {
      logger.info(fields, 'rpc failed');
    }
  }

  /** Ends the call's work early, e.g. a stream whose token was revoked. */
  const abort = (reason: unknown) => controller.abort(reason);

  return { ctx, store, finish, abort, spanContext: span.context };
}

function bearerToken(ctx: CallContext): string | undefined {
  const header = ctx.header('authorization');
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

async function authorize(
  access: Access,
  ctx: CallContext,
  options: ServiceDefinitionOptions,
): Promise<Caller | undefined> {
  const { authenticate } = options;
  const header = ctx.header('authorization');
  if (header === undefined) {
    if (access === 'public') return undefined;
    // Under mTLS a service may prove who it is with its certificate instead.
    const peer = ctx.peerCertificateName;
    if (peer !== undefined && options.certifiedServices?.has(peer)) {
      return { userId: peer, roles: ['service'] };
    }
    throw new DomainError('UNAUTHENTICATED', 'missing bearer token in the authorization metadata');
  }
  const token = bearerToken(ctx);
  if (token === undefined) {
    throw new DomainError('UNAUTHENTICATED', 'authorization metadata must be "Bearer <token>"');
  }
  // Only public methods get here without an authenticator (checked at registration).
  if (authenticate === undefined) return undefined;
  let caller: Caller;
  try {
    caller = await authenticate(token, ctx);
  } catch (err) {
    // A service whose own token went stale must be able to tell that from
    // "the token you asked me about is bad" (VerifyToken's INVALID_TOKEN).
    if (access === 'service' && isDomainError(err) && err.code === 'INVALID_TOKEN') {
      throw new DomainError(
        'SERVICE_TOKEN_INVALID',
        "the caller's service token is invalid or expired",
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  if (access === 'admin' && !caller.roles.includes('admin')) {
    throw new DomainError('PERMISSION_DENIED', `${ctx.method} requires the admin role`);
  }
  if (access === 'service' && !caller.roles.includes('service')) {
    throw new DomainError(
      'PERMISSION_DENIED',
      `${ctx.method} is internal: only services may call it`,
    );
  }
  return caller;
}

const requestValidator = createRequestValidator();

/** The request, decoded and checked against its contract's rules (buf.validate). */
function decode(schema: DescMessage, bytes: Buffer): unknown {
  let request: unknown;
  try {
    request = fromBinary(schema, bytes);
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `request is not a valid ${schema.typeName}`);
  }
  requestValidator.check(schema, request);
  return request;
}

function encode(schema: DescMessage, init: unknown): Buffer {
  return toBuffer(toBinary(schema, create(schema, init as MessageInitShape<DescMessage>)));
}

function waitForDrain(stream: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.removeListener('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function unimplemented(methodName: string, why: string): RpcStatus {
  return toGrpcStatus(new DomainError('NOT_IMPLEMENTED', `${methodName} ${why}`));
}

/**
 * Turns a protobuf-es service descriptor and its typed implementation into a
 * grpc-js service. Every call goes through the same wrapper: deadline and
 * cancellation signal, authentication and access check, decoding, the
 * handler, encoding, and one error mapping and one log line at the end.
 */
export function createServiceDefinition(
  desc: DescService,
  impl: object,
  options: ServiceDefinitionOptions,
): GrpcService {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const handlers = impl as Record<string, unknown>;

  for (const method of desc.methods) {
    const path = `/${desc.typeName}/${method.name}`;
    const methodName = `${desc.typeName}/${method.name}`;
    const access = resolveAccess(options.access, desc, method.localName);
    if (access !== 'public' && options.authenticate === undefined) {
      throw new Error(
        `${methodName} requires '${access}' access but the server has no authenticate function`,
      );
    }
    definition[method.name] = {
      path,
      requestStream:
        method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream:
        method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: passThrough,
      requestDeserialize: passThrough,
      responseSerialize: passThrough,
      responseDeserialize: passThrough,
      originalName: method.localName,
    };
    const fn = handlers[method.localName];
    const handler = typeof fn === 'function' ? fn.bind(impl) : undefined;
    implementation[method.name] = createHandler(method, methodName, access, handler, options);
  }
  return { definition, implementation };
}

function createHandler(
  method: DescMethod,
  methodName: string,
  access: Access,
  fn: ((...args: unknown[]) => unknown) | undefined,
  options: ServiceDefinitionOptions,
): grpc.UntypedHandleCall {
  const { logger } = options;

  if (method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming') {
    const status = unimplemented(methodName, 'uses client streaming, which is not supported yet');
    if (method.methodKind === 'client_streaming') {
      const handle: grpc.handleClientStreamingCall<Buffer, Buffer> = (call, callback) => {
        callback({ code: status.code, details: status.message, metadata: toMetadata(status) });
        openCall(call, methodName, logger).finish(status);
      };
      return handle;
    }
    const handle: grpc.handleBidiStreamingCall<Buffer, Buffer> = (call) => {
      call.emit('error', {
        code: status.code,
        details: status.message,
        metadata: toMetadata(status),
      });
      openCall(call, methodName, logger).finish(status);
    };
    return handle;
  }

  if (fn === undefined) {
    const status = unimplemented(methodName, 'is not implemented by this server');
    const metadata = () => toMetadata(status);
    if (method.methodKind === 'unary') {
      const handle: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
        callback({ code: status.code, details: status.message, metadata: metadata() });
        openCall(call, methodName, logger).finish(status);
      };
      return handle;
    }
    const handle: grpc.handleServerStreamingCall<Buffer, Buffer> = (call) => {
      call.emit('error', { code: status.code, details: status.message, metadata: metadata() });
      openCall(call, methodName, logger).finish(status);
    };
    return handle;
  }

  if (method.methodKind === 'unary') {
    const unary = fn as AnyUnary;
    const handle: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
      const { ctx, store, finish, spanContext } = openCall(call, methodName, logger);
      context
        .with(spanContext, () =>
          incomingCall.run(store, async () => {
            ctx.caller = await authorize(access, ctx, options);
            const request = decode(method.input, call.request);
            return encode(method.output, await unary(request, ctx));
          }),
        )
        .then(
          (response) => {
            callback(null, response);
            finish(undefined);
          },
          (err: unknown) => {
            const status = toGrpcStatus(err);
            callback({
              code: status.code,
              details: status.message,
              metadata: toMetadata(status),
            });
            finish(status);
          },
        );
    };
    return handle;
  }

  const stream = fn as AnyStream;
  const handle: grpc.handleServerStreamingCall<Buffer, Buffer> = (call) => {
    const { ctx, store, finish, abort, spanContext } = openCall(call, methodName, logger);
    let credentialsFailed: DomainError | undefined;
    let unwatch = () => {};
    context
      .with(spanContext, () =>
        incomingCall.run(store, async () => {
          ctx.caller = await authorize(access, ctx, options);
          const token = bearerToken(ctx);
          if (ctx.caller !== undefined && token !== undefined && options.authenticate) {
            unwatch = watchStreamCredentials({
              token,
              caller: ctx.caller,
              ctx,
              authenticate: options.authenticate,
              recheckMs: options.streamRecheckMs ?? 10_000,
              onInvalid(err) {
                credentialsFailed = err;
                abort(err);
              },
            });
          }
          const request = decode(method.input, call.request);
          // Headers go out as soon as the stream is accepted, so a client can
          // tell "subscribed" from "still connecting" before the first message.
          call.sendMetadata(new grpc.Metadata());
          for await (const item of stream(request, ctx)) {
            // Leaving the loop returns the handler's iterator, so its finally blocks run.
            if (ctx.signal.aborted) break;
            if (!call.write(encode(method.output, item))) await waitForDrain(call, ctx.signal);
          }
          if (credentialsFailed !== undefined) throw credentialsFailed;
        }),
      )
      .finally(() => unwatch())
      .then(
        () => {
          call.end();
          finish(undefined);
        },
        (err: unknown) => {
          const status = toGrpcStatus(err);
          call.emit('error', {
            code: status.code,
            details: status.message,
            metadata: toMetadata(status),
          });
          finish(status);
        },
      );
  };
  return handle;
}
