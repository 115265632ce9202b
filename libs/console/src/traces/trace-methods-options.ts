import type { TelemetryStore } from '../telemetry/telemetry-store';

export interface TraceMethodsOptions {
  /** Only its spans and logs are read. */
  readonly store: Pick<TelemetryStore, 'spans' | 'logs'>;
}
