/** The bounds of the console's telemetry store; the server reads them from its config. */
export interface TelemetryStoreOptions {
  /** Most spans kept (default 50,000). */
  readonly maxSpans?: number;
  /** Most metric points kept (default 100,000). */
  readonly maxMetricPoints?: number;
  /** Most log records kept (default 50,000). */
  readonly maxLogRecords?: number;
  /**
   * Most bytes kept over all three signals, each item counted as its JSON
   * text (default 128 MiB): half for spans, a quarter each for metric points
   * and log records, so a flood of one signal cannot push out the others.
   */
  readonly maxBytes?: number;
}

export const defaultTelemetryBounds = {
  maxSpans: 50_000,
  maxMetricPoints: 100_000,
  maxLogRecords: 50_000,
  maxBytes: 128 * 1024 * 1024,
} as const;
