// Test support: a real HTTP sink on loopback that answers the CloudEvents Web
// Hooks handshake and each delivery as the test scripts it, and records what
// it was sent. Not shipped.
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '@switchboard/timing';

/** How the sink answers OPTIONS. */
export type HandshakeAnswer =
  | { kind: 'agree' }
  | { kind: 'agree-any' }
  | { kind: 'status'; status: number }
  | { kind: 'other-origin'; origin: string }
  | { kind: 'hang' };

/** An answer to one POST. */
export interface SinkReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answers this long after the request arrived (on the sink's clock): a slow receiver. */
  delayMs?: number;
}

/** 'hang' holds the request open, unanswered, until the client gives up or the sink closes. */
export type SinkAnswer = SinkReply | 'hang';

export interface TestSinkOptions {
  /** How OPTIONS is answered; default 'agree' (echoes the requested origin). */
  handshake?: HandshakeAnswer;
  /**
   * How each POST is answered, in turn: the n-th POST gets `replies[n - 1]`,
   * and the last one repeats. Default: 200 to every POST.
   */
  replies?: SinkAnswer[];
  /** Stamps `receivedAt`; the system clock by default. */
  clock?: Clock;
}

/** A request as the receiver saw it, once its body had arrived. */
export interface ReceivedByTestSink {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `clock.now()` when the whole request had arrived. */
  receivedAt: number;
}

export interface TestSink {
  readonly url: string;
  /** The headers of every OPTIONS it received. */
  readonly handshakes: IncomingHttpHeaders[];
  /** Every POST it received, answered or not: a delivery, as a receiver sees it. */
  readonly posts: ReceivedByTestSink[];
  /** POSTs held open ('hang') whose client has not gone away yet. */
  held(): number;
  close(): Promise<void>;
}

export async function startTestSink(options: TestSinkOptions = {}): Promise<TestSink> {
  const handshake = options.handshake ?? { kind: 'agree' };
  const replies = options.replies ?? [];
  const clock = options.clock ?? systemClock;
  const handshakes: IncomingHttpHeaders[] = [];
  const posts: ReceivedByTestSink[] = [];
  const hanging = new Set<ServerResponse>();
  const hang = (res: ServerResponse) => {
    hanging.add(res);
    res.on('close', () => hanging.delete(res));
  };

  const server: Server = createServer((req, res) => {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        posts.push({
          method: 'POST',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          receivedAt: clock.now(),
        });
        const reply = replies[Math.min(posts.length, replies.length) - 1] ?? { status: 200 };
        if (reply === 'hang') {
          hang(res);
          return;
        }
        const answer = () => res.writeHead(reply.status, reply.headers ?? {}).end(reply.body ?? '');
        if (reply.delayMs === undefined) answer();
        else clock.setTimeout(answer, reply.delayMs);
      });
      return;
    }
    if (req.method !== 'OPTIONS') {
      res.writeHead(405).end();
      return;
    }
    handshakes.push(req.headers);
    const origin = req.headers['webhook-request-origin'];
    switch (handshake.kind) {
      case 'agree':
        res.writeHead(200, { 'WebHook-Allowed-Origin': String(origin), Allow: 'POST' }).end();
        return;
      case 'agree-any':
        res.writeHead(200, { 'WebHook-Allowed-Origin': '*', Allow: 'POST' }).end();
        return;
      case 'status':
        res.writeHead(handshake.status).end();
        return;
      case 'other-origin':
        res.writeHead(200, { 'WebHook-Allowed-Origin': handshake.origin }).end();
        return;
      case 'hang':
        hang(res);
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    handshakes,
    posts,
    held: () => hanging.size,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
