import type { ReceivedLogRecord } from './received-log-record';
import type { ReceivedMetricPoint } from './received-metric-point';
import type { ReceivedSpan } from './received-span';

export interface DecodedTraces {
  spans: ReceivedSpan[];
  /** Why each refused span was refused; the response reports them as a partial success. */
  rejected: string[];
}

export interface DecodedMetrics {
  points: ReceivedMetricPoint[];
  /** How many metrics the request carried (each has zero or more points). */
  metrics: number;
}

export interface DecodedLogs {
  records: ReceivedLogRecord[];
}
