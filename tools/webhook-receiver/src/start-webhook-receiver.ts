import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from './verify-webhook';

export interface WebhookReceiverOptions {
  readonly host: string;
  /** 0 picks a free port; `url` says which. */
  readonly port: number;
  /**
   * The signing secret, asked for on every request: a secret file written
   * after the receiver started (the secret exists only once the subscription
   * does, and creating it needs the receiver up for the handshake) counts
   * from the next request. Undefined: POSTs get 503 and Retry-After until it exists.
   */
  readonly secret: () => Promise<string | undefined>;
  readonly toleranceSeconds?: number;
  /** Answer the first N signed deliveries with `failStatus` instead of 200 (the fault demo). */
  readonly failFirst?: number;
  readonly failStatus?: 500 | 429;
  /** With failStatus 429: the Retry-After, in seconds. */
  readonly retryAfterSeconds?: number;
  /** Refuse the CloudEvents Web Hooks handshake, to see a subscription refused. */
  readonly refuseHandshake?: boolean;
  readonly maxBodyBytes?: number;
  /** Epoch milliseconds; Date.now() unless a test pins it. */
  readonly now?: () => number;
  /** Called once per request with what it was and how it was answered. */
  readonly onRequest: (record: ReceivedRequest) => void;
}

/** One request, as the receiver prints it (one JSON line each). */
export interface ReceivedRequest {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  /** The status the receiver answered with. */
  readonly answered: number;
  /** OPTIONS: the WebHook-Request-Origin of the handshake. */
  readonly handshakeOrigin?: string;
  /** POST: whether the signature and timestamp held. */
  readonly verified?: boolean;
  /** Why it was refused or failed on purpose. */
  readonly reason?: string;
  /** webhook-id: the delivery id, the same on every retry. */
  readonly id?: string;
  /** A signed delivery whose id was already answered with 200. */
  readonly duplicate?: boolean;
  readonly mode?: 'binary' | 'structured';
  /** The CloudEvents, webhook and content headers as received. */
  readonly headers?: Record<string, string>;
  /** The body: parsed when JSON, else the text. */
  readonly body?: unknown;
  /** The CloudEvent it carried, put together from the headers in binary mode. */
  readonly event?: Record<string, unknown>;
}

export interface WebhookReceiver {
  readonly url: string;
  close(): Promise<void>;
}

const REMEMBERED_IDS = 10_000;
const SHOWN_HEADERS = /^(ce-|webhook-|content-type$|user-agent$)/;

/**
 * A webhook sink for trying subscriptions out and for tests: it answers the
 * CloudEvents Web Hooks handshake, verifies each delivery's Standard Webhooks
 * signature (refusing bad or old ones with 401), reports every request, and
 * can fail the first deliveries on purpose to show retries.
 */
export async function startWebhookReceiver(
  options: WebhookReceiverOptions,
): Promise<WebhookReceiver> {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const failFirst = options.failFirst ?? 0;
  const failStatus = options.failStatus ?? 500;
  const acknowledged = new Set<string>();
  let signedSeen = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const base = {
      at: new Date(now()).toISOString(),
      method: req.method ?? '',
      path: req.url ?? '/',
    };
    const answer = (
      status: number,
      record: Omit<ReceivedRequest, 'at' | 'method' | 'path' | 'answered'>,
      headers: Record<string, string> = {},
    ) => {
      const text = record.reason ?? (status < 300 ? 'ok' : 'failed');
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(`${text}\n`);
      options.onRequest({ ...base, answered: status, ...record });
    };

    if (req.method === 'OPTIONS') {
      const origin = first(req.headers['webhook-request-origin']);
      if (!origin) {
        return answer(400, {
          reason: 'not a CloudEvents Web Hooks handshake: no WebHook-Request-Origin',
        });
      }
      if (options.refuseHandshake) {
        return answer(403, {
          handshakeOrigin: origin,
          reason: 'handshake refused (--refuse-handshake)',
        });
      }
      return answer(
        200,
        { handshakeOrigin: origin },
        { allow: 'POST, OPTIONS', 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*' },
      );
    }
    if (req.method !== 'POST') {
      return answer(405, { reason: 'only POST and OPTIONS' }, { allow: 'POST, OPTIONS' });
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) return answer(413, { reason: `body over ${maxBodyBytes} bytes` });
    const shown = describe(req, body);
    const secret = await options.secret();
    if (secret === undefined) {
      return answer(
        503,
        { ...shown, verified: false, reason: 'no signing secret yet' },
        { 'retry-after': '1' },
      );
    }
    const verdict = verifyWebhook({
      secret,
      headers: req.headers,
      body,
      nowMs: now(),
      toleranceSeconds: options.toleranceSeconds,
    });
    if (!verdict.ok) return answer(401, { ...shown, verified: false, reason: verdict.reason });

    signedSeen += 1;
    if (signedSeen <= failFirst) {
      const reason = `failing on purpose (${signedSeen} of the first ${failFirst})`;
      const headers: Record<string, string> =
        failStatus === 429 ? { 'retry-after': String(options.retryAfterSeconds ?? 1) } : {};
      return answer(failStatus, { ...shown, id: verdict.id, verified: true, reason }, headers);
    }
    const duplicate = acknowledged.has(verdict.id);
    if (!duplicate) {
      acknowledged.add(verdict.id);
      if (acknowledged.size > REMEMBERED_IDS) {
        acknowledged.delete(acknowledged.values().next().value!);
      }
    }
    return answer(200, { ...shown, id: verdict.id, verified: true, duplicate });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end();
      options.onRequest({
        at: new Date(now()).toISOString(),
        method: req.method ?? '',
        path: req.url ?? '/',
        answered: 500,
        reason: `receiver error: ${(err as Error).message}`,
      });
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
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The whole body, or undefined once it passes `limit` (the rest is not kept). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) tooLong = true;
    if (!tooLong) chunks.push(chunk);
  }
  return tooLong ? undefined : Buffer.concat(chunks);
}

function describe(req: IncomingMessage, body: Buffer): Partial<ReceivedRequest> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (SHOWN_HEADERS.test(name) && value !== undefined) headers[name] = String(value);
  }
  const text = body.toString('utf8');
  let parsed: unknown = text;
  try {
    if (text.length > 0) parsed = JSON.parse(text);
  } catch {
    // Not JSON: shown as text.
  }
  const structured = (headers['content-type'] ?? '').startsWith('application/cloudevents+json');
  if (structured) {
    const event =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)
        : undefined;
    return { mode: 'structured', headers, body: parsed, ...(event ? { event } : {}) };
  }
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) continue;
    try {
      event[name.slice(3)] = decodeURIComponent(value);
    } catch {
      event[name.slice(3)] = value;
    }
  }
  if (headers['content-type']) event.datacontenttype = headers['content-type'];
  if (text.length > 0) event.data = parsed;
  return {
    mode: 'binary',
    headers,
    body: parsed,
    ...(event.specversion !== undefined ? { event } : {}),
  };
}
