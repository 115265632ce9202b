// Test support: a real HTTP sink on loopback that answers the CloudEvents Web
// Hooks handshake as told. Not shipped.
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the sink answers OPTIONS. */
export type HandshakeAnswer =
  | { kind: 'agree' }
  | { kind: 'agree-any' }
  | { kind: 'status'; status: number }
  | { kind: 'other-origin'; origin: string }
  | { kind: 'hang' };

export interface TestSink {
  readonly url: string;
  /** The headers of every OPTIONS it received. */
  readonly handshakes: IncomingHttpHeaders[];
  /** Every POST it received (each answered 200): a delivery, as a receiver sees it. */
  readonly posts: { headers: IncomingHttpHeaders; body: Buffer }[];
  close(): Promise<void>;
}

export async function startTestSink(answer: HandshakeAnswer): Promise<TestSink> {
  const handshakes: IncomingHttpHeaders[] = [];
  const posts: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        posts.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end();
      });
      return;
    }
    if (req.method !== 'OPTIONS') {
      res.writeHead(405).end();
      return;
    }
    handshakes.push(req.headers);
    const origin = req.headers['webhook-request-origin'];
    switch (answer.kind) {
      case 'agree':
        res.writeHead(200, { 'WebHook-Allowed-Origin': String(origin), Allow: 'POST' }).end();
        return;
      case 'agree-any':
        res.writeHead(200, { 'WebHook-Allowed-Origin': '*', Allow: 'POST' }).end();
        return;
      case 'status':
        res.writeHead(answer.status).end();
        return;
      case 'other-origin':
        res.writeHead(200, { 'WebHook-Allowed-Origin': answer.origin }).end();
        return;
      case 'hang':
        hanging.add(res);
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    handshakes,
    posts,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
