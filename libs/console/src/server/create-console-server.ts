import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { ConsoleService } from '@switchboard/contracts';
import { createRequestValidator } from '@switchboard/rpc';
import type { ConsoleServer, ConsoleServerOptions } from './console-server';
import { createConsoleServiceImpl } from './create-console-service-impl';
import { createUiHandler } from './create-ui-handler';
import { isLoopbackHost } from './is-loopback-host';
import { securityHeaders } from './security-headers';

/**
 * InvokeRequest allows a 1 MiB request_json and an 8 KiB token. Sent as
 * Connect JSON, as the browser does, that string is escaped again, and quotes
 * double: room for that, so a request within the contract's rules gets its
 * validation answer rather than RESOURCE_EXHAUSTED.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const CONNECT_PREFIX = `/${ConsoleService.typeName}/`;

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The Host header's name without its port: `[::1]:8088` → `[::1]`. */
function hostNameOf(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined) return undefined;
  return host.replace(/:\d+$/, '');
}

/**
 * The console on one port: GET /healthz, the OTLP/HTTP receiver's paths,
 * ConsoleService over the Connect protocol (JSON and binary), gRPC-Web and
 * gRPC (HTTP/1.1 only: node's http server speaks no h2c, so grpcurl cannot
 * reach it, but Connect and gRPC-Web clients can), and the browser app.
 */
export async function createConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const { logger } = options;
  const shutdown = new AbortController();
  const impl = createConsoleServiceImpl({
    methods: options.methods,
    authenticate: options.authenticate,
    validator: createRequestValidator(),
    logger,
  });
  const connect = connectNodeAdapter({
    routes: (router) => router.service(ConsoleService, impl),
    readMaxBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    // Unknown fields are refused, so a typo in a hand-written request is an error, not ignored.
    jsonOptions: { ignoreUnknownFields: false },
    shutdownSignal: shutdown.signal,
  });
  const ui = createUiHandler({ uiDir: options.uiDir });
  // Bound to loopback, the console also refuses other Host names: a web page
  // whose name an attacker re-points at 127.0.0.1 (DNS rebinding) then gets
  // nothing from it. Bound elsewhere, the operator chose who may reach it.
  const checkHost = isLoopbackHost(options.host);

  async function route(req: IncomingMessage, res: ServerResponse) {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    const hostName = hostNameOf(req);
    if (checkHost && (hostName === undefined || !isLoopbackHost(hostName))) {
      sendJson(res, 421, {
        error: `the console answers only to a loopback host name (localhost, 127.0.0.1, [::1]), not ${JSON.stringify(req.headers.host ?? '')}`,
      });
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        sendJson(res, 405, { error: 'use GET /healthz' });
        return;
      }
      sendJson(res, 200, { status: 'ok', service: 'console' });
      return;
    }
    if (options.otlp(req, res)) return;
    if (path.startsWith(CONNECT_PREFIX)) {
      connect(req, res);
      return;
    }
    await ui(req, res);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'console request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  const graceMs = options.shutdownGraceMs ?? 2_000;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Open streams (WatchSystem, TailTopic) never end by themselves: after
        // the grace time they are told to finish, then their sockets are cut.
        const timer = setTimeout(() => {
          shutdown.abort();
          setTimeout(() => server.closeAllConnections(), 200).unref();
        }, graceMs);
        timer.unref();
        server.once('close', () => clearTimeout(timer));
      });
      return closing;
    },
  };
}
