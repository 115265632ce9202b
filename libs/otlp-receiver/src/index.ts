export { buildSpanTree, type SpanTreeNode } from './build-span-tree';
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
export { decodeTracesJson } from './decode-otlp-json';
export { decodeTracesProtobuf } from './decode-otlp-protobuf';
export { OtlpDecodeError } from './otlp-decode-error';
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
