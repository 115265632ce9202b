import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

/**
 * Event-loop delay and heap as observable gauges, read when metrics are
 * collected (a scrape or an export), so they cost nothing in between. The
 * delay histogram is reset at each collection: each value describes the
 * interval since the previous one.
 */
export function createRuntimeMetrics(meter: Meter): { stop(): void } {
  // The histogram samples on a libuv timer of this period, whether or not
  // anything scrapes: 10 ms (Node's default) cost an idle service ~0.3 % of a
  // core on its own. A stall longer than 50 ms still shows in full (it delays
  // the next sample); shorter ones are sampled rather than all seen.
  const delay = monitorEventLoopDelay({ resolution: 50 });
  delay.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);

  const p50 = meter.createObservableGauge('nodejs.eventloop.delay.p50', { unit: 's' });
  const p99 = meter.createObservableGauge('nodejs.eventloop.delay.p99', { unit: 's' });
  const max = meter.createObservableGauge('nodejs.eventloop.delay.max', { unit: 's' });
  const heapUsed = meter.createObservableGauge('v8js.memory.heap.used', {
    unit: 'By',
    description: 'V8 heap in use',
  });
  const heapTotal = meter.createObservableGauge('v8js.memory.heap.total', {
    unit: 'By',
    description: 'V8 heap allocated (used and free)',
  });
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(p50, seconds(delay.percentile(50)));
      result.observe(p99, seconds(delay.percentile(99)));
      result.observe(max, seconds(delay.max));
      delay.reset();
      const memory = process.memoryUsage();
      result.observe(heapUsed, memory.heapUsed);
      result.observe(heapTotal, memory.heapTotal);
    },
    [p50, p99, max, heapUsed, heapTotal],
  );
  return {
    stop() {
      delay.disable();
    },
  };
}
