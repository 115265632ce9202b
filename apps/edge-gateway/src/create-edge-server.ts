import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toJson, type JsonValue } from '@bufbuild/protobuf';
import { ConnectError } from '@connectrpc/connect';
import { context } from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import { createConnectHandler } from './create-connect-handler';
import { createEdgeTracing, type EdgeProtocol } from './create-edge-tracing';
import type { EdgeCall, Upstreams } from './create-upstreams';
import { edgeError, toHttpError, type HttpError } from './http-error';
import { createRouteTable, type RouteMatch } from './http-routes';
import { transcodeRequest } from './transcode-request';

export interface EdgeServerOptions {
  upstreams: Upstreams;
  logger: Logger;
  host: string;
  port: number;
  maxBodyBytes: number;
  corsOrigins: readonly string[];
  shutdownGraceMs: number;
  /** How often a quiet Server-Sent Events stream gets a comment line. */
  sseKeepAliveMs: number;
  /** The OpenAPI document served at /openapi.json. */
  openApi: () => unknown;
}

export interface EdgeServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  readonly url: string;
  /** Stops taking requests, lets running ones finish within the grace, then ends open streams. */
  close(): Promise<void>;
}

// Connect's and gRPC-Web's own headers, plus ours, for browsers (CORS).
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'x-request-id',
  'traceparent',
  'tracestate',
  'connect-protocol-version',
  'connect-timeout-ms',
  'grpc-timeout',
  'x-grpc-web',
  'x-user-agent',
];
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
];
const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** `/package.Service/Method`: the Connect and gRPC-Web path shape. */
const RPC_PATH = /^\/[a-z][\w]*(\.[a-z][\w]*)*\.[A-Z]\w*\/[A-Z]\w*$/;

interface RequestMeta {
  requestId: string;
  clientAddress: string;
  protocol: EdgeProtocol | undefined;
  /** The route template that matched, for the span and the duration metric. */
  route: string | undefined;
}

const metaOf = new WeakMap<IncomingMessage, RequestMeta>();

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: HttpError) {
  sendJson(res, error.httpStatus, error.body, error.headers);
}

/** Reads a body up to `limit` bytes; undefined when the limit is passed (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Milliseconds from `connect-timeout-ms`, or `grpc-timeout` (e.g. 500m, 2S). */
function timeoutOf(headers: Headers): number | undefined {
  const connect = headers.get('connect-timeout-ms');
  if (connect !== null && /^\d{1,10}$/.test(connect)) return Number(connect);
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(headers.get('grpc-timeout') ?? '');
  if (grpc === null) return undefined;
  const unit = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 }[grpc[2]!]!;
  return Math.max(1, Math.ceil(Number(grpc[1]) * unit));
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  return headers;
}

/**
 * The edge: one node HTTP server answering REST-style JSON (from the
 * google.api.http routes), the Connect protocol and gRPC-Web (connect-node),
 * Server-Sent Events for streams, /healthz and /openapi.json. Every request
 * gets a request id, CORS by the allow-list, a body limit and an access log
 * line; no input can crash it.
 */
export async function createEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const { upstreams, logger } = options;
  const routes = createRouteTable(upstreams.services.flatMap((s) => s.methods));
  const rpcRoutes = new Set(
    upstreams.services.flatMap((s) => s.methods.map((m) => `/${s.desc.typeName}/${m.name}`)),
  );
  const tracing = createEdgeTracing();
  const corsOrigins = new Set(options.corsOrigins);
  const streams = new Set<AbortController>();
  let closing = false;

  const connect = createConnectHandler({
    upstreams,
    maxBodyBytes: options.maxBodyBytes,
    requestOf: (req) => metaOf.get(req) ?? { requestId: randomUUID(), clientAddress: 'unknown' },
    fallback: (_req, res) =>
      sendError(res, edgeError(404, 'NOT_FOUND', 'no such method is served here')),
  });

  function applyCors(req: IncomingMessage, res: ServerResponse): 'preflight' | 'refused' | 'ok' {
    const origin = req.headers.origin;
    if (origin === undefined) return 'ok';
    const allowed = corsOrigins.has(origin) || corsOrigins.has('*');
    const preflight =
      req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!allowed) return preflight ? 'refused' : 'ok';
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
    if (!preflight) return 'ok';
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
    res.setHeader('access-control-allow-headers', ALLOWED_HEADERS.join(', '));
    res.setHeader('access-control-max-age', '600');
    return 'preflight';
  }

  function callOf(req: IncomingMessage, signal: AbortSignal): EdgeCall {
    const meta = metaOf.get(req)!;
    const headers = headersOf(req);
    return {
      headers,
      timeoutMs: timeoutOf(headers),
      signal,
      requestId: meta.requestId,
      clientAddress: meta.clientAddress,
    };
  }

  async function serveRest(req: IncomingMessage, res: ServerResponse, url: URL) {
    const found = routes.match(req.method ?? 'GET', url.pathname);
    if ('notFound' in found) {
      sendError(res, edgeError(404, 'NOT_FOUND', `no route for ${url.pathname}`));
      return;
    }
    if ('allowed' in found) {
      sendError(
        res,
        edgeError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, {
          allow: found.allowed.join(', '),
        }),
      );
      return;
    }
    const match: RouteMatch = found;
    metaOf.get(req)!.route = match.route.template.source;
    const raw = await readBody(req, options.maxBodyBytes);
    if (raw === undefined) {
      sendError(
        res,
        edgeError(413, 'PAYLOAD_TOO_LARGE', `the body is over ${options.maxBodyBytes} bytes`),
      );
      return;
    }
    let body: JsonValue | undefined;
    if (raw.length > 0) {
      if (match.route.body === '') {
        sendError(res, edgeError(400, 'INVALID_ARGUMENT', `${req.method} takes no body here`));
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        sendError(
          res,
          edgeError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'),
        );
        return;
      }
      try {
        body = JSON.parse(raw.toString('utf8')) as JsonValue;
      } catch (err) {
        sendError(
          res,
          edgeError(400, 'INVALID_ARGUMENT', `malformed JSON: ${(err as Error).message}`),
        );
        return;
      }
    }
    const { method } = match.route;
    const request = transcodeRequest(method.input, match, { body, query: url.searchParams });
    const abort = new AbortController();
    res.once('close', () => abort.abort(new ConnectError('the client went away')));
    const call = callOf(req, abort.signal);
    if (method.methodKind === 'server_streaming') {
      await serveSse(res, method, request, call, abort);
      return;
    }
    const response = await upstreams.unary(method, request, call);
    sendJson(res, 200, toJson(method.output, response as never));
  }

  /** A server stream as Server-Sent Events: one `data:` line of JSON per message. */
  async function serveSse(
    res: ServerResponse,
    method: RouteMatch['route']['method'],
    request: unknown,
    call: EdgeCall,
    abort: AbortController,
  ) {
    // A refusal (no token, bad request) comes before the headers: it stays a JSON error.
    const messages = await upstreams.stream(method, request, call);
    streams.add(abort);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    // Node holds headers back until the first body byte; a client waits for
    // them to know the watch started, which must not take until the first
    // notification or keep-alive.
    res.flushHeaders();
    // Proxies close quiet connections; a comment line now and then keeps this one open.
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), options.sseKeepAliveMs);
    try {
      for await (const message of messages) {
        res.write(`data: ${JSON.stringify(toJson(method.output, message as never))}\n\n`);
      }
    } catch (err) {
      if (!abort.signal.aborted) {
        res.write(`event: error\ndata: ${JSON.stringify(toHttpError(err).body)}\n\n`);
      }
    } finally {
      clearInterval(heartbeat);
      streams.delete(abort);
      res.end();
    }
  }

  async function serveHealth(res: ServerResponse) {
    const upstream = await upstreams.health(1_000);
    const serving = !closing && Object.values(upstream).every((s) => s === 'SERVING');
    sendJson(res, serving ? 200 : 503, {
      status: serving ? 'SERVING' : 'NOT_SERVING',
      upstreams: upstream,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://edge');
    const cors = applyCors(req, res);
    if (cors === 'refused') {
      sendError(res, edgeError(403, 'PERMISSION_DENIED', 'this origin is not allowed'));
      return;
    }
    if (cors === 'preflight') {
      res.writeHead(204).end();
      return;
    }
    const meta = metaOf.get(req)!;
    if (url.pathname === '/healthz' && req.method === 'GET') {
      meta.route = url.pathname;
      return serveHealth(res);
    }
    if (url.pathname === '/openapi.json' && req.method === 'GET') {
      meta.route = url.pathname;
      sendJson(res, 200, options.openApi());
      return;
    }
    if (RPC_PATH.test(url.pathname)) {
      const type = String(req.headers['content-type'] ?? '');
      meta.protocol = type.startsWith('application/grpc-web') ? 'grpc-web' : 'connect';
      // Only a served method is a route: any other path would be a new series per guess.
      if (rpcRoutes.has(url.pathname)) meta.route = url.pathname;
      await connect(req, res);
      return;
    }
    meta.protocol = 'rest';
    await serveRest(req, res, url);
  }

  const server: Server = createServer((req, res) => {
    const startedAt = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const meta: RequestMeta = {
      requestId,
      clientAddress: req.socket.remoteAddress ?? 'unknown',
      protocol: undefined,
      route: undefined,
    };
    metaOf.set(req, meta);
    const span = tracing.startRequest(req, requestId);
    res.setHeader('x-request-id', requestId);
    res.once('close', () => {
      const outcome = {
        statusCode: res.statusCode,
        completed: res.writableFinished,
        route: meta.route,
        protocol: meta.protocol,
      };
      span.end(outcome);
      // In the span's context, so the access line carries its trace_id and span_id.
      context.with(span.context, () =>
        logger.info(
          {
            requestId,
            method: req.method,
            path: (req.url ?? '').split('?')[0],
            route: outcome.route,
            protocol: outcome.protocol,
            status: outcome.statusCode,
            durationMs: Math.round((performance.now() - startedAt) * 100) / 100,
            client: meta.clientAddress,
            completed: outcome.completed,
          },
          'request',
        ),
      );
    });
    if (closing) res.setHeader('connection', 'close');
    // Everything the request causes (upstream calls, log lines) runs under its span.
    context
      .with(span.context, () => handle(req, res))
      .catch((err: unknown) => {
        const error = toHttpError(err);
        if (error.httpStatus >= 500 && !(err instanceof ConnectError)) {
          context.with(span.context, () => logger.error({ err, requestId }, 'request failed'));
        }
        sendError(res, error);
      });
  });
  // A malformed request line or header never reaches a handler: answer it, keep serving.
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    port,
    url: `http://${hostForUrl}:${port}`,
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => {
        for (const stream of streams) stream.abort(new ConnectError('the edge is shutting down'));
        server.closeAllConnections();
      }, options.shutdownGraceMs);
      // SSE streams have no natural end: they end at once, and the client reconnects
      // elsewhere. Connect and gRPC-Web streams end with the grace.
      for (const stream of streams) stream.abort(new ConnectError('the edge is shutting down'));
      // The aborted SSE responses end a moment later, leaving their keep-alive
      // connections idle: close those as they appear rather than wait for
      // node's keep-alive timeout.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      await closed;
      clearInterval(sweep);
      clearTimeout(grace);
    },
  };
}
