import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, posix, resolve, sep } from 'node:path';

export interface UiHandlerOptions {
  /** The built browser app: index.html, assets/ and perhaps a few files beside them. */
  uiDir: string;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * A bundler's content hash in the name (`main-3F7XQ2KD.js`): the name changes
 * whenever the bytes do, so the browser may keep it for good.
 */
const HASHED = /[-.][A-Za-z0-9_]{8,}\.[a-z0-9]+$/;

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(`${text}\n`);
}

async function fileAt(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The browser app, from files built in the workspace (nothing from a CDN).
 * Any other path is one of the app's views (`/traces/…`, `/topics/sales.orders.v1`,
 * whose dots rule out telling views by extension): it gets index.html, so
 * every view's URL can be shared and reloaded, and the app routes it (and
 * shows its own "not found"). A missing asset is a plain 404, never
 * index.html, so a stale page's broken script reference shows as what it is.
 */
export function createUiHandler(options: UiHandlerOptions) {
  const root = resolve(options.uiDir);
  const index = join(root, 'index.html');

  async function send(req: IncomingMessage, res: ServerResponse, path: string, size: number) {
    const type = contentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const immutable = path.startsWith(join(root, 'assets') + sep) && HASHED.test(path);
    res.writeHead(200, {
      'content-type': type,
      'content-length': size,
      // index.html is asked for again each time, so a rebuilt app is picked up at once.
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(path)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendText(
        res,
        405,
        `${req.method} is not allowed here: the console's pages are read with GET`,
      );
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://console').pathname);
    } catch {
      sendText(res, 400, 'the path is not valid percent-encoding');
      return;
    }
    if (pathname.includes('\0')) {
      sendText(res, 400, 'the path must not contain NUL');
      return;
    }
    const normalized = posix.normalize(pathname);
    const path = resolve(root, `.${posix.sep}${normalized}`);
    if (path !== root && !path.startsWith(root + sep)) {
      sendText(res, 404, `not found: ${pathname}`);
      return;
    }
    const size = await fileAt(path);
    if (size !== undefined) {
      await send(req, res, path, size);
      return;
    }
    if (normalized.startsWith('/assets/')) {
      sendText(res, 404, `not found: ${pathname} (no such asset in this build)`);
      return;
    }
    const indexSize = await fileAt(index);
    if (indexSize === undefined) {
      sendText(
        res,
        503,
        `the console's browser app is not built (no index.html in ${root}): run npx nx build console-app`,
      );
      return;
    }
    await send(req, res, index, indexSize);
  };
}
