import { createBoundedQueue, type BoundedStats } from './bounded-queue';
import type { ReceivedMetricPoint } from './received-metric-point';

export interface MetricStoreOptions {
  /** Most points kept; older ones are dropped first. */
  readonly maxPoints?: number;
  /** Most bytes kept, counting each point as its JSON text. */
  readonly maxBytes?: number;
  /** Most cumulative series whose last point is remembered to take deltas from (least recently seen go first). */
  readonly maxSeries?: number;
}

export interface MetricStore {
  /**
   * Adds points in arrival order. Sums and histograms are kept as deltas:
   * a cumulative point becomes its difference from the series' previous one,
   * so any window's totals are the sum of the points inside it whatever the
   * exporter's temporality. Returns how many older points were dropped.
   */
  add(points: readonly ReceivedMetricPoint[]): { dropped: number };
  /** The points (deltas for sums and histograms) that end after `sinceUnixNano`, oldest first; optionally only those of one metric name. */
  since(sinceUnixNano: bigint, name?: string): ReceivedMetricPoint[];
  stats(): BoundedStats;
}

export const defaultMaxMetricPoints = 100_000;
export const defaultMaxMetricBytes = 32 * 1024 * 1024;
export const defaultMaxSeries = 10_000;

/** A series: one service's metric with one set of attributes. */
export function seriesKeyOf(point: ReceivedMetricPoint): string {
  const attributes = Object.keys(point.attributes)
    .sort()
    .map((key) => [key, point.attributes[key]]);
  return JSON.stringify([point.service, point.name, attributes]);
}

export function createMetricStore(options: MetricStoreOptions = {}): MetricStore {
  const maxSeries = options.maxSeries ?? defaultMaxSeries;
  const queue = createBoundedQueue<ReceivedMetricPoint>(
    options.maxPoints ?? defaultMaxMetricPoints,
    options.maxBytes ?? defaultMaxMetricBytes,
  );
  // The last cumulative point of each series; a Map iterates in insertion
  // order, so re-inserting on each point makes its first key the least recent.
  const lastCumulative = new Map<string, ReceivedMetricPoint>();

  function toDelta(point: ReceivedMetricPoint): ReceivedMetricPoint | undefined {
    if (point.temporality !== 'cumulative' || point.kind === 'gauge') return point;
    const key = seriesKeyOf(point);
    const previous = lastCumulative.get(key);
    lastCumulative.delete(key);
    lastCumulative.set(key, point);
    if (lastCumulative.size > maxSeries) {
      lastCumulative.delete(lastCumulative.keys().next().value!);
    }
    const delta = previous && differenceOf(point, previous);
    // Unchanged since the last export (an idle series, or a retried request): nothing happened.
    if (delta && (delta.count === 0 || (delta.count === undefined && delta.value === 0))) {
      return undefined;
    }
    // The series' first point, or one after a restart: everything since its start is new.
    return delta ?? { ...point, temporality: 'delta' };
  }

  return {
    add(points) {
      const before = queue.stats().dropped;
      for (const point of points) {
        const delta = toDelta(point);
        if (delta) queue.push(delta, Buffer.byteLength(JSON.stringify(delta)));
      }
      return { dropped: queue.stats().dropped - before };
    },
    since(sinceUnixNano, name) {
      return queue
        .values()
        .filter(
          (p) => (name === undefined || p.name === name) && BigInt(p.timeUnixNano) > sinceUnixNano,
        );
    },
    stats: () => queue.stats(),
  };
}

/**
 * current − previous for one cumulative series, over (previous time, current
 * time]; undefined when they are not comparable: another start time or a
 * count that went down (the process restarted), or other bucket bounds.
 */
function differenceOf(
  current: ReceivedMetricPoint,
  previous: ReceivedMetricPoint,
): ReceivedMetricPoint | undefined {
  if (current.startTimeUnixNano !== previous.startTimeUnixNano) return undefined;
  if (BigInt(current.timeUnixNano) < BigInt(previous.timeUnixNano)) return undefined;
  const interval = {
    ...current,
    temporality: 'delta' as const,
    startTimeUnixNano: previous.timeUnixNano,
  };
  if (current.count !== undefined) {
    const count = current.count - (previous.count ?? 0);
    if (count < 0) return undefined;
    // Other bucket bounds mean another instrument set-up: not comparable either.
    const bounds = current.explicitBounds ?? [];
    const before = previous.explicitBounds ?? [];
    if (bounds.length !== before.length || bounds.some((b, i) => b !== before[i])) return undefined;
    return {
      ...interval,
      count,
      ...(current.sum === undefined ? {} : { sum: current.sum - (previous.sum ?? 0) }),
      ...(current.bucketCounts
        ? {
            bucketCounts: current.bucketCounts.map((c, i) => c - (previous.bucketCounts?.[i] ?? 0)),
          }
        : {}),
    };
  }
  if (current.value !== undefined) {
    const value = current.value - (previous.value ?? 0);
    if (value < 0) return undefined;
    return { ...interval, value };
  }
  return undefined;
}
