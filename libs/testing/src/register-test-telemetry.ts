import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';

/** A reader that exports nowhere: a test collects from it when it wants to look. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface TestTelemetry {
  /** Ended spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** Sum of a counter's (or the last value of a gauge's) points whose attributes include `match`. */
  metric(name: string, match?: Attributes): Promise<number | undefined>;
  shutdown(): Promise<void>;
}

/**
 * What libs/telemetry does in a service, in miniature: a tracer provider
 * with an in-memory exporter, a meter provider, the W3C propagator and an
 * AsyncLocalStorage context manager, registered globally. Call it before
 * creating the relay or consumer under test, which look their meter up then.
 */
export function registerTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  return {
    spans: () => exporter.getFinishedSpans(),

    async metric(name, match = {}) {
      const { resourceMetrics } = await reader.collect();
      let total: number | undefined;
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const data of scope.metrics) {
          if (data.descriptor.name !== name) continue;
          for (const point of data.dataPoints) {
            const matches = Object.entries(match).every(
              ([key, value]) => point.attributes[key] === value,
            );
            if (!matches) continue;
            if (data.dataPointType === DataPointType.HISTOGRAM) {
              const histogram = point.value as { count: number };
              total = (total ?? 0) + histogram.count;
            } else {
              total = (total ?? 0) + (point.value as number);
            }
          }
        }
      }
      return total;
    },

    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
