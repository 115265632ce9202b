import type { Attributes } from './received-span';

export type MetricKindName = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** OTLP's AggregationTemporality: how a point's numbers relate to the ones before it. */
export type TemporalityName = 'unspecified' | 'delta' | 'cumulative';

/**
 * One data point as it arrived: plain JSON like a ReceivedSpan (times as
 * decimal nanosecond strings). Histograms keep their buckets, so percentiles
 * can be estimated; a sum or gauge keeps its value.
 */
export interface ReceivedMetricPoint {
  /** The resource's `service.name`, or `unknown_service`. */
  readonly service: string;
  readonly name: string;
  readonly unit: string;
  readonly kind: MetricKindName;
  readonly temporality: TemporalityName;
  readonly attributes: Attributes;
  readonly startTimeUnixNano: string;
  readonly timeUnixNano: string;
  /** Histograms (and summaries): how many values, and their total. */
  readonly count?: number;
  readonly sum?: number;
  /** Explicit-bucket histograms: counts per bucket, one more than the bounds. */
  readonly bucketCounts?: readonly number[];
  readonly explicitBounds?: readonly number[];
  /** Sums and gauges. */
  readonly value?: number;
}

export const temporalityNames: readonly TemporalityName[] = ['unspecified', 'delta', 'cumulative'];
