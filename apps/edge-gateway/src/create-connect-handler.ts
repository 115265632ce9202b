import type { DescMethod } from '@bufbuild/protobuf';
import {
  createContextKey,
  createContextValues,
  type HandlerContext,
  type MethodImpl,
} from '@connectrpc/connect';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from '@connectrpc/connect-node';
import type { EdgeCall, Upstreams } from './create-upstreams';

/** Set per request by the HTTP layer, read by the handlers below. */
export const edgeRequestKey = createContextKey<{ requestId: string; clientAddress: string }>(
  { requestId: '', clientAddress: 'unknown' },
  { description: 'the edge request' },
);

export interface ConnectHandlerOptions {
  upstreams: Upstreams;
  maxBodyBytes: number;
  /** Answers a path that names no exposed method (the HTTP layer's JSON 404). */
  fallback: NodeHandler;
  /** The request id and client address the HTTP layer gave this request. */
  requestOf: (req: IncomingMessage) => { requestId: string; clientAddress: string };
}

/** What node's http server calls; the edge serves HTTP/1.1 (and h2c is not needed by browsers). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

function callOf(ctx: HandlerContext): EdgeCall {
  const { requestId, clientAddress } = ctx.values.get(edgeRequestKey);
  return {
    headers: ctx.requestHeader,
    timeoutMs: ctx.timeoutMs(),
    signal: ctx.signal,
    requestId,
    clientAddress,
  };
}

function implOf(method: DescMethod, upstreams: Upstreams): MethodImpl<DescMethod> {
  if (method.methodKind === 'server_streaming') {
    return async function* (request: unknown, ctx: HandlerContext) {
      yield* await upstreams.stream(method, request, callOf(ctx));
    } as unknown as MethodImpl<DescMethod>;
  }
  return (async (request: unknown, ctx: HandlerContext) =>
    upstreams.unary(method, request, callOf(ctx))) as unknown as MethodImpl<DescMethod>;
}

/**
 * The Connect protocol (JSON and binary) and gRPC-Web for every exposed
 * method, through connect-node on node's own HTTP server. Only the exposed
 * methods are routed: an internal one is an unknown path, not a refusal
 * that would confirm it exists.
 */
export function createConnectHandler(options: ConnectHandlerOptions): NodeHandler {
  const { upstreams } = options;
  return connectNodeAdapter({
    connect: true,
    grpcWeb: true,
    // Native gRPC stays on the services themselves (grpc-js): cheaper per call.
    grpc: false,
    readMaxBytes: options.maxBodyBytes,
    jsonOptions: { ignoreUnknownFields: false },
    fallback: options.fallback as ConnectNodeAdapterOptions['fallback'],
    contextValues: (req) =>
      createContextValues().set(edgeRequestKey, options.requestOf(req as IncomingMessage)),
    routes(router) {
      for (const service of upstreams.services) {
        for (const method of service.methods) router.rpc(method, implOf(method, upstreams));
      }
    },
  }) as NodeHandler;
}
