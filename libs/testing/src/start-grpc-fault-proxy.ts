import {
  connect,
  constants,
  createServer,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { isWellKnownServicePort } from './start-service-process';

/**
 * A loopback gRPC proxy that misbehaves on request, for testing a client
 * against a dependency that is slow or failing on one method only while the
 * dependency itself (a real service process) stays untouched.
 */
export interface GrpcFaultProxy {
  /** 127.0.0.1:port: dial this instead of the target. */
  readonly address: string;
  readonly port: number;
  /**
   * Holds every call of `method` (its path, e.g.
   * /switchboard.inventory.v1.InventoryService/ReserveStock) for `ms` before
   * forwarding it. A held call reaches the target even if its caller gave up
   * meanwhile, and runs to the end there without the caller's deadline: a
   * target that was slow to start on a request it then carries out.
   */
  delay(method: string, ms: number): void;
  /** Answers every call of `method` with UNAVAILABLE itself, as a target that is down for it. */
  refuse(method: string): void;
  /** Forwards everything as it comes again. */
  reset(): void;
  close(): Promise<void>;
}

export interface GrpcFaultProxyOptions {
  /** host:port of the real server. */
  target: string;
}

const UNAVAILABLE = 14;
const INTERNAL = 13;
// Connection-level and per-hop fields node sets itself on each side.
const NOT_FORWARDED = new Set([':authority', ':scheme', 'connection', 'keep-alive']);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  return out;
}

const isOpen = (stream: ServerHttp2Stream) => !stream.closed && !stream.destroyed;

/** A trailers-only gRPC answer, as a server that refuses a call sends it. */
function answer(stream: ServerHttp2Stream, code: number, message: string): void {
  if (!isOpen(stream) || stream.headersSent) return;
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeURIComponent(message),
    },
    { endStream: true },
  );
}

/**
 * Starts the proxy on a free loopback port. Unary and server-streaming calls
 * only: a request is read to its end before it is forwarded, which is what
 * lets a call be held back whole.
 */
export async function startGrpcFaultProxy(options: GrpcFaultProxyOptions): Promise<GrpcFaultProxy> {
  const delays = new Map<string, number>();
  const refused = new Set<string>();
  const sessions = new Set<ServerHttp2Session>();
  const forwarded = new Set<ClientHttp2Stream>();
  const held = new Set<NodeJS.Timeout>();
  let upstream: ClientHttp2Session | undefined;

  function upstreamSession(): ClientHttp2Session {
    if (upstream !== undefined && !upstream.closed && !upstream.destroyed) return upstream;
    const session = connect(`http://${options.target}`);
    // Failures reach the streams on it, which answer their callers.
    session.on('error', () => undefined);
    session.on('close', () => {
      if (upstream === session) upstream = undefined;
    });
    upstream = session;
    return session;
  }

  function forward(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    body: Buffer,
    detached: boolean,
  ): void {
    const out = forwardable(headers);
    // Held calls run on without the caller's deadline, as documented on delay().
    if (detached) delete out['grpc-timeout'];
    let request: ClientHttp2Stream;
    try {
      request = upstreamSession().request(out);
    } catch (err) {
      answer(stream, UNAVAILABLE, `proxy: ${(err as Error).message}`);
      return;
    }
    forwarded.add(request);
    let trailers: OutgoingHttpHeaders | undefined;
    let finished = false;
    request.on('response', (responseHeaders) => {
      if (!isOpen(stream)) return;
      const h = forwardable(responseHeaders);
      if (h['grpc-status'] !== undefined) {
        finished = true;
        stream.respond(h, { endStream: true });
        return;
      }
      stream.respond(h, { waitForTrailers: true });
      stream.once('wantTrailers', () =>
        stream.sendTrailers(
          trailers ?? { 'grpc-status': String(INTERNAL), 'grpc-message': 'proxy: no trailers' },
        ),
      );
    });
    request.on('data', (chunk: Buffer) => {
      if (isOpen(stream) && stream.headersSent) stream.write(chunk);
    });
    request.on('trailers', (t) => {
      trailers = forwardable(t);
    });
    request.on('end', () => {
      if (finished || !isOpen(stream)) return;
      finished = true;
      if (stream.headersSent) stream.end();
      else answer(stream, INTERNAL, 'proxy: the target ended the call without an answer');
    });
    request.on('error', (err) => {
      if (finished || !isOpen(stream)) return;
      finished = true;
      if (stream.headersSent) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      else answer(stream, UNAVAILABLE, `proxy: ${err.message}`);
    });
    request.on('close', () => forwarded.delete(request));
    // The caller hung up (deadline, cancel): so does the forwarded call, unless it was held.
    stream.once('close', () => {
      if (!detached && !request.closed) request.close(constants.NGHTTP2_CANCEL);
    });
    request.end(body);
  }

  const server = createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path']);
    if (refused.has(path)) {
      answer(stream, UNAVAILABLE, 'refused by the test proxy');
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const delayMs = delays.get(path) ?? 0;
      if (delayMs <= 0) {
        forward(stream, headers, body, false);
        return;
      }
      const timer = setTimeout(() => {
        held.delete(timer);
        forward(stream, headers, body, true);
      }, delayMs);
      held.add(timer);
    });
  });
  const listen = () =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  let port = await listen();
  // The OS may hand out one of `npm start`'s ports, which the end-to-end test needs.
  while (isWellKnownServicePort(port)) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    port = await listen();
  }

  return {
    address: `127.0.0.1:${port}`,
    port,
    delay(method, ms) {
      delays.set(method, ms);
    },
    refuse(method) {
      refused.add(method);
    },
    reset() {
      delays.clear();
      refused.clear();
    },
    async close() {
      for (const timer of held) clearTimeout(timer);
      held.clear();
      for (const request of forwarded) request.close(constants.NGHTTP2_CANCEL);
      upstream?.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
