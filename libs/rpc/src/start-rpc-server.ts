import { serviceNames } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { Clock } from '@switchboard/timing';
import type { Authenticate } from './call-context';
import { createHealthMonitor, type HealthProbe } from './create-health-monitor';
import { createRpcServer, type RpcServer } from './create-rpc-server';
import type { RpcServerLimits } from './grpc-server-options-of';
import type { TlsSettings } from './tls/tls-settings';

/** TLS and connection limits come from the service config spread into it, as the rest does. */
export interface StartRpcServerOptions extends TlsSettings, RpcServerLimits {
  logger: Logger;
  host: string;
  /** 0 picks a free port; the running server reports the one bound. */
  port: number;
  maxReceiveBytes: number;
  shutdownGraceMs: number;
  /** The dependencies grpc.health.v1 reports on, e.g. `{ database, kafka }`. */
  probes: Record<string, HealthProbe>;
  /** Needed as soon as one method is not public. */
  authenticate?: Authenticate;
  /** Adds the service's own services; called once, before the server binds. */
  register: (server: RpcServer) => void;
  /** How often the probes run. Defaults to 2 s: fast enough for a load balancer to react. */
  healthIntervalMs?: number;
  /** Times the probe rounds; tests pass a manual clock. */
  healthClock?: Clock;
}

export interface RunningRpcServer {
  /** The port bound, which differs from the configured one when that was 0. */
  readonly port: number;
  /**
   * Reports NOT_SERVING, drains in-flight calls (up to shutdownGraceMs), then
   * stops the probes. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * A service's gRPC server, serving: health driven by the probes, reflection,
 * the registered services. One 'serving' line is logged once it listens, the
 * line operators and start scripts look for.
 */
export async function startRpcServer(options: StartRpcServerOptions): Promise<RunningRpcServer> {
  const { logger } = options;
  const health = createHealthMonitor({
    probes: options.probes,
    intervalMs: options.healthIntervalMs ?? 2_000,
    clock: options.healthClock,
  });
  const server = createRpcServer({
    ...options, // TLS settings and limits
    logger,
    host: options.host,
    port: options.port,
    maxReceiveBytes: options.maxReceiveBytes,
    shutdownGraceMs: options.shutdownGraceMs,
    authenticate: options.authenticate,
    // A certificate vouches for a service only when the server asked for one.
    certifiedServices:
      options.tlsClientAuth === undefined || options.tlsClientAuth === 'none'
        ? undefined
        : new Set<string>(Object.values(serviceNames)),
    health,
  });
  const close = async () => {
    // The server first: its NOT_SERVING must go out before probing stops.
    await server.shutdown();
    health.stop();
  };
  let port: number;
  try {
    options.register(server);
    port = await server.start();
  } catch (err) {
    // E.g. the port is taken: release what was made, so the caller's exit is clean.
    await close();
    throw err;
  }
  logger.info({ port }, 'serving');
  return { port, close };
}
