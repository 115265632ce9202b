// The webhook sink of the delivery benchmark: a plain node:http server on
// loopback that agrees to the CloudEvents Web Hooks handshake, answers every
// POST with 204 and notes when each delivery arrived, by CloudEvent id. It
// does no more than that (no signature check, no body parsing), so what it
// costs stays small next to what it measures.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeliveryArrival {
  /** performance.now() of this process when the request's body had been read. */
  readonly at: number;
  /** webhook-id: the delivery id. */
  readonly deliveryId: string;
}

export interface DeliverySink {
  /** http://127.0.0.1:<port>/hooks */
  readonly url: string;
  /** Every POST that carried a ce-id, by that id, in order of arrival. */
  arrivalsOf(eventId: string): readonly DeliveryArrival[];
  /** POSTs that carried no ce-id (the raw POST baseline sends those). */
  readonly plainPosts: number;
  /**
   * Resolves when every id in `eventIds` has arrived at least once, or when
   * `timeoutMs` has passed; either way with how many of them had arrived.
   */
  waitFor(eventIds: readonly string[], timeoutMs: number): Promise<number>;
  /** Forgets the arrivals of these ids (after a run has been read). */
  forget(eventIds: readonly string[]): void;
  close(): Promise<void>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startDeliverySink(): Promise<DeliverySink> {
  const arrivals = new Map<string, DeliveryArrival[]>();
  let plainPosts = 0;
  let waiter: { pending: Set<string>; resolve: () => void } | undefined;

  const onPost = (req: IncomingMessage, res: ServerResponse) => {
    // The body is read to the end (a receiver would), then dropped.
    req.on('data', () => undefined);
    req.on('end', () => {
      const at = performance.now();
      const eventId = header(req, 'ce-id');
      if (eventId === undefined) {
        plainPosts += 1;
      } else {
        const list = arrivals.get(eventId) ?? [];
        list.push({ at, deliveryId: header(req, 'webhook-id') ?? '' });
        arrivals.set(eventId, list);
        if (waiter?.pending.delete(eventId) && waiter.pending.size === 0) waiter.resolve();
      }
      res.writeHead(204).end();
    });
  };

  const server = createServer((req, res) => {
    if (req.method === 'POST') return onPost(req, res);
    if (req.method === 'OPTIONS') {
      const origin = header(req, 'webhook-request-origin');
      if (origin === undefined) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { allow: 'POST', 'webhook-allowed-origin': origin }).end();
      return;
    }
    res.writeHead(405, { allow: 'POST, OPTIONS' }).end();
  });
  // Many kept-alive connections from the workers and the baseline: none is cut while idle in a run.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    arrivalsOf: (eventId) => arrivals.get(eventId) ?? [],
    get plainPosts() {
      return plainPosts;
    },
    async waitFor(eventIds, timeoutMs) {
      if (waiter !== undefined) throw new Error('the sink waits for one run at a time');
      const pending = new Set(eventIds.filter((id) => !arrivals.has(id)));
      if (pending.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          waiter = { pending, resolve };
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
        waiter = undefined;
      }
      return eventIds.length - pending.size;
    },
    forget(eventIds) {
      for (const id of eventIds) arrivals.delete(id);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
