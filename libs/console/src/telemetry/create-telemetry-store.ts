import { create } from '@bufbuild/protobuf';
import { SignalStatsSchema } from '@switchboard/contracts';
import {
  createLogStore,
  createMetricStore,
  createSpanStore,
  type BoundedStats,
  type OtlpSignal,
} from '@switchboard/otlp-receiver';
import type { TelemetryStore } from './telemetry-store';
import { defaultTelemetryBounds, type TelemetryStoreOptions } from './telemetry-store-options';

export function createTelemetryStore(options: TelemetryStoreOptions = {}): TelemetryStore {
  const bounds = { ...defaultTelemetryBounds, ...definedOf(options) };
  if (!(Number.isInteger(bounds.maxBytes) && bounds.maxBytes >= 4)) {
    throw new RangeError('maxBytes must be an integer of at least 4');
  }
  const spanBytes = Math.floor(bounds.maxBytes / 2);
  const otherBytes = Math.floor(bounds.maxBytes / 4);
  const spans = createSpanStore({ maxSpans: bounds.maxSpans, maxBytes: spanBytes });
  const metrics = createMetricStore({ maxPoints: bounds.maxMetricPoints, maxBytes: otherBytes });
  const logs = createLogStore({ maxRecords: bounds.maxLogRecords, maxBytes: otherBytes });
  const refused: Record<OtlpSignal, number> = { traces: 0, metrics: 0, logs: 0 };

  function statsOf(signal: OtlpSignal, s: BoundedStats) {
    return create(SignalStatsSchema, {
      signal,
      items: BigInt(s.items),
      bytes: BigInt(s.bytes),
      maxItems: BigInt(s.maxItems),
      maxBytes: BigInt(s.maxBytes),
      dropped: BigInt(s.dropped),
      rejectedRequests: BigInt(refused[signal]),
    });
  }

  return {
    spans,
    metrics,
    logs,
    refused(signal) {
      refused[signal]++;
    },
    stats() {
      const s = spans.stats();
      return [
        statsOf('traces', {
          items: s.spans,
          bytes: s.bytes,
          maxItems: bounds.maxSpans,
          maxBytes: spanBytes,
          dropped: s.droppedSpans,
        }),
        statsOf('metrics', metrics.stats()),
        statsOf('logs', logs.stats()),
      ];
    },
  };
}

/** The options that were given: an undefined one falls back to its default instead of erasing it. */
function definedOf(options: TelemetryStoreOptions): Partial<TelemetryStoreOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
