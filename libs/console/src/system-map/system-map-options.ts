import type { ClientTls } from '@switchboard/rpc';
import type { Clock } from '@switchboard/timing';
import type { ConsoleTarget } from '../console-target';
import type { TelemetryStore } from '../telemetry/telemetry-store';

export interface SystemMapOptions {
  /** Spans for the edges, metric points for the rates, and its stats for the telemetry panel. */
  readonly store: Pick<TelemetryStore, 'spans' | 'metrics' | 'stats'>;
  /** The services (watched with grpc.health.v1) and the edge (GET /healthz). */
  readonly targets: readonly ConsoleTarget[];
  /** host:port of each broker; the broker node is up when one accepts a connection. */
  readonly kafkaBrokers: readonly string[];
  /** The database node is shown only when it is given; its password never is. */
  readonly databaseUrl?: string;
  readonly clock: Clock;
  /** How often a snapshot is sent even when no health changed, and the broker, database and edge are probed. */
  readonly refreshMs: number;
  /**
   * The window rates, error ratios and p99s are computed over (default 60 s:
   * services export metrics once a minute unless OTEL_METRIC_EXPORT_INTERVAL
   * says otherwise, and a shorter window would flicker to zero between exports).
   */
  readonly windowMs?: number;
  /** How long a probe of the broker, the database or the edge may take (default 1 s). */
  readonly probeTimeoutMs?: number;
  /** Dial the services over TLS, as they dial each other. */
  readonly tls?: ClientTls;
}
