import { env, loadConfig, serviceAddress, tlsSchema, type Env } from '@switchboard/config';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function edgeSchema(source: Env) {
  return {
    host: env.string('EDGE_HOST', { default: '127.0.0.1' }),
    /** 0 picks a free port (tests). */
    port: env.int('EDGE_PORT', { default: 8080, min: 0, max: 65535 }),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
    /**
     * Prometheus text on http://127.0.0.1:<port>/metrics, next to the
     * services' 9461–9466; 0 picks a free port (tests).
     */
    metricsPort: env.int('EDGE_METRICS_PORT', { default: 9467, min: 0, max: 65535 }),
    authAddr: serviceAddress('auth'),
    inventoryAddr: serviceAddress('inventory'),
    orderAddr: serviceAddress('order'),
    postAddr: serviceAddress('post'),
    notificationAddr: serviceAddress('notification'),
    /**
     * Browser origins allowed to call the edge (CORS), e.g.
     * `https://shop.example.com`. Empty: no cross-origin browser calls; curl
     * and server-side clients are not affected.
     */
    corsOrigins: env.list('EDGE_CORS_ORIGINS', { default: [] }),
    /** Larger request bodies get 413 (REST) or RESOURCE_EXHAUSTED (Connect, gRPC-Web). */
    maxBodyBytes: env.int('EDGE_MAX_BODY_BYTES', {
      default: 1024 * 1024,
      min: 1024,
      max: 64 * 1024 * 1024,
    }),
    /** Login and Register per client address: a burst of this many … */
    authRateBurst: env.int('EDGE_AUTH_RATE_BURST', { default: 10, min: 1, max: 10_000 }),
    /** … and one more every this many milliseconds. */
    authRateRefillMs: env.int('EDGE_AUTH_RATE_REFILL_MS', {
      default: 6_000,
      min: 1,
      max: 60 * 60_000,
    }),
    /** The deadline of an upstream call when the client sends none. */
    upstreamTimeoutMs: env.int('EDGE_UPSTREAM_TIMEOUT_MS', {
      default: 10_000,
      min: 100,
      max: 10 * 60_000,
    }),
    /** The longest a server stream (WatchNotifications) runs; clients reconnect after it. */
    streamMaxMs: env.int('EDGE_STREAM_MAX_MS', {
      default: 60 * 60_000,
      min: 1_000,
      max: 24 * 60 * 60_000,
    }),
    /** How often a quiet SSE stream gets a comment line, so proxies do not close it as idle. */
    sseKeepAliveMs: env.int('EDGE_SSE_KEEPALIVE_MS', {
      default: 15_000,
      min: 1_000,
      max: 10 * 60_000,
    }),
    /** How long in-flight requests may finish on shutdown; open streams are then ended. */
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', { default: 10_000, min: 0, max: 120_000 }),
    /** TLS_* as the services read them: the edge dials the services over TLS when set. */
    ...tlsSchema(source),
  };
}

/** Read once at start; fails naming every bad variable. */
export function loadEdgeConfig(source: Env = process.env) {
  return Object.freeze({
    ...loadConfig('edge-gateway', edgeSchema(source), source),
    service: 'edge-gateway',
  });
}

export type EdgeConfig = ReturnType<typeof loadEdgeConfig>;
