import { env } from './load-config';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * What one client connection may take from a gRPC server. grpc-js leaves all
 * of these unlimited; the defaults below bound a misbehaving or vanished
 * client without being felt by a well-behaved one.
 *
 * grpc-js 1.14 cannot enforce a minimum interval between a client's pings
 * (C-core's `grpc.http2.min_ping_interval_without_data_ms` and
 * `max_ping_strikes` do not exist there), so there is no such variable; a
 * ping flood is bounded by nghttp2's own limit on unanswered control frames.
 */
export function grpcLimitsSchema() {
  return {
    /**
     * Calls one connection may have in flight. 100 is the minimum HTTP/2
     * advises; our clients queue a call beyond it until one ends, so a single
     * client can keep a server only this busy per connection.
     */
    maxConcurrentStreams: env.int('GRPC_MAX_CONCURRENT_STREAMS', {
      default: 100,
      min: 1,
      max: 10_000,
    }),
    /**
     * The server pings a connection this often to notice a client that
     * vanished without closing it (a long WatchNotifications stream would
     * otherwise hold its resources until the kernel gives up, many minutes
     * later). Two minutes costs nothing and frees them soon enough.
     */
    keepaliveTimeMs: env.int('GRPC_KEEPALIVE_TIME_MS', {
      default: 2 * MINUTE,
      min: 10_000,
      max: DAY,
    }),
    /** How long a ping may go unanswered before the connection is dropped (gRPC's own default). */
    keepaliveTimeoutMs: env.int('GRPC_KEEPALIVE_TIMEOUT_MS', {
      default: 20_000,
      min: 1_000,
      max: 10 * MINUTE,
    }),
    /**
     * A connection is asked to go away (GOAWAY) after this long, ±10%, and
     * the client reconnects for its next call. That spreads long-lived
     * clients (each service's channel to another) over replicas added since
     * they connected, at the cost of one handshake per half hour.
     */
    maxConnectionAgeMs: env.int('GRPC_MAX_CONNECTION_AGE_MS', {
      default: 30 * MINUTE,
      min: 1_000,
      max: 7 * DAY,
    }),
    /**
     * How long calls still running on an aged connection may finish before
     * it is closed. Unary calls end far sooner (their deadlines are seconds);
     * a watch stream is cut and the client watches again, as after a deploy.
     */
    maxConnectionAgeGraceMs: env.int('GRPC_MAX_CONNECTION_AGE_GRACE_MS', {
      default: 5 * MINUTE,
      min: 1_000,
      max: DAY,
    }),
    /**
     * A connection with no call for this long is closed, so idle clients
     * cannot pile up connections; the next call reconnects transparently.
     */
    maxConnectionIdleMs: env.int('GRPC_MAX_CONNECTION_IDLE_MS', {
      default: 5 * MINUTE,
      min: 1_000,
      max: 7 * DAY,
    }),
  };
}
