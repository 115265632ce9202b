import type * as grpc from '@grpc/grpc-js';

/**
 * What one connection may take from the server (libs/config's
 * grpcLimitsSchema has the defaults every service runs with and why). An
 * unset limit stays grpc-js's: unlimited.
 */
export interface RpcServerLimits {
  /** Calls in flight per connection; a client's further calls wait for one to end. */
  maxConcurrentStreams?: number;
  /** The server pings each connection this often, to notice a vanished client... */
  keepaliveTimeMs?: number;
  /** ...and drops it when the ping goes unanswered this long. */
  keepaliveTimeoutMs?: number;
  /** A connection is asked to go away after this long (±10%); clients reconnect. */
  maxConnectionAgeMs?: number;
  /** How long its calls may still run after that before it is closed. */
  maxConnectionAgeGraceMs?: number;
  /** A connection without calls for this long is closed. */
  maxConnectionIdleMs?: number;
}

/** The limits as grpc-js server options. */
export function grpcServerOptionsOf(limits: RpcServerLimits): grpc.ServerOptions {
  const options: grpc.ServerOptions = {};
  const set = (name: string, value: number | undefined) => {
    if (value !== undefined) options[name] = value;
  };
  set('grpc.max_concurrent_streams', limits.maxConcurrentStreams);
  set('grpc.keepalive_time_ms', limits.keepaliveTimeMs);
  set('grpc.keepalive_timeout_ms', limits.keepaliveTimeoutMs);
  set('grpc.max_connection_age_ms', limits.maxConnectionAgeMs);
  set('grpc.max_connection_age_grace_ms', limits.maxConnectionAgeGraceMs);
  set('grpc.max_connection_idle_ms', limits.maxConnectionIdleMs);
  return options;
}
