// Test support for the specs of this library: a real server on 127.0.0.1 and
// its log lines, parsed. Not part of the public API.
import { Writable } from 'node:stream';
import { DomainError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import type { Authenticate } from './call-context';
import { createRpcServer, type RpcServer, type RpcServerOptions } from './create-rpc-server';

export type LogLine = Record<string, unknown>;

export function captureLogs() {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      lines.push(JSON.parse(String(chunk)) as LogLine);
      done();
    },
  });
  const logger = createLogger({ service: 'rpc-test', level: 'debug', destination });
  return { logger, lines, text: () => raw.join('') };
}

/** Tokens the fake authenticator knows; anything else is rejected as auth would. */
export const testAuthenticate: Authenticate = async (token) => {
  if (token === 'admin-token') return { userId: 'u-admin', roles: ['admin', 'customer'] };
  if (token === 'customer-token') return { userId: 'u-1', roles: ['customer'] };
  throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
};

export interface TestServer {
  server: RpcServer;
  port: number;
  address: string;
  logs: ReturnType<typeof captureLogs>;
}

export async function startTestServer(
  setup: (server: RpcServer) => void,
  options: Partial<RpcServerOptions> = {},
): Promise<TestServer> {
  const logs = captureLogs();
  const server = createRpcServer({
    logger: logs.logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 64 * 1024,
    shutdownGraceMs: 2000,
    authenticate: testAuthenticate,
    ...options,
  });
  setup(server);
  const port = await server.start();
  return { server, port, address: `127.0.0.1:${port}`, logs };
}
