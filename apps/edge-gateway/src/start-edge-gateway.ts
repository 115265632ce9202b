import type { Logger } from '@switchboard/logger';
import { clientTlsOf } from '@switchboard/rpc';
import { createEdgeServer, type EdgeServer } from './create-edge-server';
import { createOpenApi } from './create-open-api';
import { createRateLimiter } from './create-rate-limiter';
import { createUpstreams, type Upstreams } from './create-upstreams';
import type { EdgeConfig } from './load-edge-config';

export interface RunningEdgeGateway {
  readonly server: EdgeServer;
  readonly upstreams: Upstreams;
  /** Closes the HTTP server (with its grace), then the upstream channels. */
  close(): Promise<void>;
}

/** The gateway from its config: upstream clients, then the HTTP server. Tests start it the same way. */
export async function startEdgeGateway(
  config: EdgeConfig,
  logger: Logger,
  now: () => number = Date.now,
): Promise<RunningEdgeGateway> {
  const upstreams = createUpstreams({
    addresses: {
      auth: config.authAddr,
      inventory: config.inventoryAddr,
      order: config.orderAddr,
      post: config.postAddr,
      notification: config.notificationAddr,
    },
    tls: clientTlsOf(config),
    defaultTimeoutMs: config.upstreamTimeoutMs,
    streamMaxMs: config.streamMaxMs,
    authLimiter: createRateLimiter({
      burst: config.authRateBurst,
      refillEveryMs: config.authRateRefillMs,
      now,
    }),
  });
  const openApi = createOpenApi(upstreams.services);
  const server = await createEdgeServer({
    upstreams,
    logger,
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    corsOrigins: config.corsOrigins,
    shutdownGraceMs: config.shutdownGraceMs,
    sseKeepAliveMs: config.sseKeepAliveMs,
    openApi: () => openApi,
  });
  return {
    server,
    upstreams,
    async close() {
      await server.close();
      upstreams.close();
    },
  };
}
