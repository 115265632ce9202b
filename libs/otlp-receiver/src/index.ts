export { createBoundedQueue, type BoundedQueue, type BoundedStats } from './bounded-queue';
export { buildSpanTree, type SpanTreeNode } from './build-span-tree';
export {
  createLogStore,
  defaultMaxLogBytes,
  defaultMaxLogRecords,
  type LogStore,
  type LogStoreOptions,
} from './create-log-store';
export {
  createMetricStore,
  defaultMaxMetricBytes,
  defaultMaxMetricPoints,
  defaultMaxSeries,
  seriesKeyOf,
  type MetricStore,
  type MetricStoreOptions,
} from './create-metric-store';
export {
  createOtlpHttpHandler,
  type OtlpHttpHandler,
  type OtlpHttpHandlerOptions,
  type OtlpSignal,
  type OtlpSink,
} from './create-otlp-http-handler';
export {
  createSpanStore,
  defaultMaxBytes,
  defaultMaxSpans,
  summarize,
  type SpanListener,
  type SpanStore,
  type SpanStoreOptions,
  type SpanStoreStats,
  type TraceSummary,
} from './create-span-store';
export { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './decode-otlp-json';
export {
  decodeLogsProtobuf,
  decodeMetricsProtobuf,
  decodeTracesProtobuf,
} from './decode-otlp-protobuf';
export { OtlpDecodeError } from './otlp-decode-error';
export { severityTextOf, type ReceivedLogRecord } from './received-log-record';
export type { MetricKindName, ReceivedMetricPoint, TemporalityName } from './received-metric-point';
export type {
  AttributeValue,
  Attributes,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  SpanKindName,
  SpanStatusName,
} from './received-span';
export {
  createSpanFileWriter,
  defaultMaxFileBytes,
  readSpanFile,
  type SpanFileContents,
  type SpanFileWriter,
} from './span-file';
export {
  defaultMaxBodyBytes,
  isLoopback,
  startOtlpReceiver,
  type OtlpReceiver,
  type OtlpReceiverOptions,
  type OtlpReceiverStats,
} from './start-otlp-receiver';
