import { env, loadConfig, type Env } from '@switchboard/config';

/**
 * The gateway's telemetry settings beside the OTEL_* variables libs/telemetry
 * reads itself. Apart from load-edge-config.ts only so the two could be
 * written at the same time; main.ts reads both before anything starts.
 */
export function loadEdgeTelemetryConfig(source: Env = process.env) {
  return Object.freeze(
    loadConfig(
      'edge-gateway',
      {
        /**
         * Prometheus text on http://127.0.0.1:<port>/metrics, next to the
         * services' 9461–9466; 0 picks a free port (tests).
         */
        metricsPort: env.int('EDGE_METRICS_PORT', { default: 9467, min: 0, max: 65535 }),
      },
      source,
    ),
  );
}

export type EdgeTelemetryConfig = ReturnType<typeof loadEdgeTelemetryConfig>;
