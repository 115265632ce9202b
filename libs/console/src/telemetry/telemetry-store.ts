import type { SignalStats } from '@switchboard/contracts';
import type { LogStore, MetricStore, OtlpSink, SpanStore } from '@switchboard/otlp-receiver';

/**
 * What the console keeps of the telemetry the services send it: the three
 * signals, each bounded in count and bytes. The OTLP handler writes into it
 * (it is an OtlpSink); the trace views and the system map read from it.
 */
export interface TelemetryStore extends OtlpSink {
  readonly spans: SpanStore;
  readonly metrics: MetricStore;
  readonly logs: LogStore;
  /** Per signal (`traces`, `metrics`, `logs`): what is held, the bounds, and what was dropped or refused. */
  stats(): SignalStats[];
}
