import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Clock } from '@switchboard/timing';
import type { ResolveHost } from '../sinks/check-sink-url';
import { refusedAddressKind } from '../sinks/sink-address-policy';

export interface SinkRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The whole exchange, from connecting to reading the answer, must fit in this. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly connections: SinkConnections;
}

/** Kept-alive connections to sinks, and the rule on which addresses they may reach. */
export interface SinkConnections {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  readonly lookup: LookupFunction;
  /** What kind of address a sink may not be reached at this is, or undefined when it may. */
  refusal(address: string): string | undefined;
  /** Ends the idle connections. */
  close(): void;
}

export type SinkAnswer =
  /** The sink answered, with any status. */
  | {
      readonly answered: true;
      readonly status: number;
      readonly retryAfter: string | null;
      readonly location: string | null;
      /** The start of the answer's body, for last_error: what the sink said when it refused. */
      readonly excerpt: string;
    }
  /** No answer: refused, reset, unresolvable, or too slow. */
  | { readonly answered: false; readonly error: string }
  /** Not sent: the sink's host now resolves to an address sinks may not have. */
  | { readonly answered: false; readonly refused: string };

/** How much of a sink's answer is kept, and how much more is read to reuse the connection. */
const EXCERPT_BYTES = 512;
const DRAIN_BYTES = 64 * 1024;

class RefusedAddressError extends Error {}

/**
 * The connections the workers POST through. Every address a sink's name
 * resolves to is checked when the connection is made, not only when the
 * subscription was created: a name can resolve elsewhere later (DNS
 * rebinding), and checking before fetch() would leave a window between our
 * lookup and its own. `resolve` replaces DNS in tests.
 */
export function createSinkConnections(options: {
  allowLoopback: boolean;
  resolve?: ResolveHost;
  /** PEM CAs that replace the system's for https sinks (a private CA; tests). */
  ca?: string | Buffer;
}): SinkConnections {
  const refusal = (address: string) =>
    refusedAddressKind(address, { allowLoopback: options.allowLoopback });
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const checked = (err: Error | null, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const { address } of addresses) {
        const kind = refusal(address);
        if (kind !== undefined) {
          const message = `${hostname} resolves to ${address}, a ${kind} address`;
          return callback(new RefusedAddressError(message), '', 0);
        }
      }
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
      // Node's connect asks for every address (all: true) to race them; older callers want one.
      if (lookupOptions.all) return (callback as unknown as AllCallback)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    if (options.resolve) {
      options.resolve(hostname).then(
        (found) =>
          checked(
            null,
            found.map((address) => ({ address, family: isIP(address) })),
          ),
        (err: Error) => checked(err, []),
      );
    } else {
      dnsLookup(hostname, { ...lookupOptions, all: true, verbatim: true }, checked);
    }
  };
  const http = new HttpAgent({ keepAlive: true });
  const https = new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) });
  return {
    http,
    https,
    lookup,
    refusal,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

type AllCallback = (err: Error | null, addresses: LookupAddress[]) => void;

/**
 * One POST to a sink. Redirects are not followed (node:http never does): a
 * redirect would let the sink send us anywhere (SSRF), so a 3xx comes back as
 * an answer like any other. The timeout runs on the injected clock so tests
 * step it instead of waiting.
 */
export function postToSink(request: SinkRequest): Promise<SinkAnswer> {
  const url = new URL(request.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const { connections } = request;
  // A literal address never goes through lookup: check it here.
  const literalRefused = isIP(host) === 0 ? undefined : connections.refusal(host);
  if (literalRefused !== undefined) {
    return Promise.resolve({ answered: false, refused: `${host} is a ${literalRefused} address` });
  }
  const https = url.protocol === 'https:';
  return new Promise<SinkAnswer>((resolve) => {
    let settled = false;
    // Once the status is in, it decides: a timeout while reading the body only shortens the excerpt.
    let answer: (() => void) | undefined;
    const settle = (answer: SinkAnswer) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      resolve(answer);
    };
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      agent: https ? connections.https : connections.http,
      lookup: connections.lookup,
    });
    const timer = request.clock.setTimeout(() => {
      if (answer) answer();
      else settle({ answered: false, error: `no answer within ${request.timeoutMs} ms` });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof RefusedAddressError) settle({ answered: false, refused: err.message });
      else
        settle({ answered: false, error: err.code ? `${err.code}: ${err.message}` : err.message });
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let length = 0;
      answer = () => {
        const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES);
        settle({
          answered: true,
          status: res.statusCode ?? 0,
          retryAfter: header(res, 'retry-after'),
          location: header(res, 'location'),
          excerpt: excerpt.toString('utf8').replace(/\s+/g, ' ').trim(),
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (length < EXCERPT_BYTES) chunks.push(chunk);
        length += chunk.length;
        // A sink that keeps talking is not read to the end: its status is all that counts.
        if (length > DRAIN_BYTES) {
          answer!();
          res.destroy();
        }
      });
      res.on('end', answer);
      // Cut short by the sink: the status still decides.
      res.on('close', answer);
      res.on('error', () => undefined);
    });
    req.end(request.body);
  });
}

function header(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
