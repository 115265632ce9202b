import { DomainError } from '@switchboard/errors';
import { createRpcServer, type RpcServer } from '@switchboard/rpc';
import { createTestLogger } from '@switchboard/testing';
import { createRateLimiter } from '../create-rate-limiter';
import { createUpstreams, type Upstreams } from '../create-upstreams';

export interface UpstreamStandIn {
  server: RpcServer;
  /** The edge's upstreams, every service's address pointing at `server`. */
  upstreams: Upstreams;
  close(): Promise<void>;
}

/**
 * A gRPC server on a real socket that stands in for the services behind the
 * edge (`setup` adds the one a spec needs), and the edge's upstreams aimed at
 * it: what the edge passes on is then seen as a real service would see it.
 * It knows one token, "customer-token", as auth would.
 */
export async function startUpstreamStandIn(
  setup: (server: RpcServer) => void,
): Promise<UpstreamStandIn> {
  const server = createRpcServer({
    logger: createTestLogger('edge-upstream-test'),
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 64 * 1024,
    shutdownGraceMs: 1000,
    authenticate: async (token) => {
      if (token === 'customer-token') return { userId: 'u-1', roles: ['customer'] };
      throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
    },
  });
  setup(server);
  const address = `127.0.0.1:${await server.start()}`;
  const upstreams = createUpstreams({
    addresses: {
      auth: address,
      inventory: address,
      order: address,
      post: address,
      notification: address,
    },
    defaultTimeoutMs: 5_000,
    streamMaxMs: 60_000,
    authLimiter: createRateLimiter({ burst: 100, refillEveryMs: 1000 }),
  });
  return {
    server,
    upstreams,
    async close() {
      upstreams.close();
      await server.shutdown();
    },
  };
}
