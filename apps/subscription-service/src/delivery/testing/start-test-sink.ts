import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ReceivedByTestSink {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface TestSink {
  readonly url: string;
  readonly received: ReceivedByTestSink[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback that answers each request with the next
 * reply of `replies` (the last one repeats), or never answers at all for
 * 'hang', recording what it was sent.
 */
export async function startTestSink(replies: (SinkReply | 'hang')[]): Promise<TestSink> {
  const received: ReceivedByTestSink[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const reply = replies[Math.min(received.length, replies.length) - 1] ?? { status: 200 };
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
