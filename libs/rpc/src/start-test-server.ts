// Test support for the specs of this library: a real server on 127.0.0.1 and
// its log lines, parsed. Not part of the public API.
import { Writable } from 'node:stream';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AuthService, type VerifyTokenResponseSchema } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { createLogger } from '@switchboard/logger';
import { uniformAccess } from './access-policy';
import type { Authenticate, CallContext } from './call-context';
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
  if (token === 'service-token') return { userId: 'order-service', roles: ['service'] };
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

/** The credential the auth stand-in accepts, for the service named 'order-service'. */
export const standInServiceSecret = 'stand-in-service-secret';

export interface AuthStandIn extends TestServer {
  /** IssueServiceToken calls that succeeded. */
  issued: number;
  /** Every token VerifyToken was asked about, in order. */
  verified: string[];
  /** Makes the service tokens issued so far stale, as retiring their signing key would. */
  retireServiceTokens(): void;
}

/**
 * A stand-in for the auth service, over a real socket, for the specs of this
 * library (which may not import the auth app): it issues service tokens for
 * one known client and answers VerifyToken, to services only, as `verify` says.
 */
export async function startAuthStandIn(
  verify: (
    request: { accessToken: string },
    ctx: CallContext,
  ) => Promise<MessageInitShape<typeof VerifyTokenResponseSchema>>,
): Promise<AuthStandIn> {
  let generation = 0;
  const standIn = { issued: 0, verified: [] as string[] };
  const serviceToken = () => `service-token-${generation}`;
  const server = await startTestServer(
    (s) =>
      s.addService(
        AuthService,
        {
          async issueServiceToken(request) {
            if (
              request.clientId !== 'order-service' ||
              request.clientSecret !== standInServiceSecret
            )
              throw new DomainError(
                'INVALID_SERVICE_CREDENTIALS',
                'unknown service or wrong secret',
              );
            standIn.issued++;
            return {
              accessToken: serviceToken(),
              expiresAt: timestampFromMs(Date.now() + 15 * 60_000),
            };
          },
          async verifyToken(request, ctx) {
            standIn.verified.push(request.accessToken);
            return verify(request, ctx);
          },
        },
        { access: { ...uniformAccess(AuthService, 'public'), verifyToken: 'service' } },
      ),
    {
      authenticate: async (token) => {
        if (token === serviceToken()) return { userId: 'order-service', roles: ['service'] };
        if (token === 'customer') return { userId: 'u-1', roles: ['customer'] };
        throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
      },
    },
  );
  return Object.assign(standIn, server, {
    retireServiceTokens() {
      generation++;
    },
  });
}
