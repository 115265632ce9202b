import { create } from '@bufbuild/protobuf';
import {
  LogRecordSchema,
  SpanEventSchema,
  SpanKind,
  SpanLinkSchema,
  SpanStatus,
  TraceSpanSchema,
  type LogRecord,
  type TraceSpan,
} from '@switchboard/contracts';
import type {
  ReceivedLogRecord,
  ReceivedSpan,
  SpanKindName,
  SpanStatusName,
} from '@switchboard/otlp-receiver';
import { timestampFromNanos } from './timestamp-from-nanos';
import { toProtoAttributes } from './to-proto-attributes';

const kinds: Record<SpanKindName, SpanKind> = {
  unspecified: SpanKind.UNSPECIFIED,
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

const statuses: Record<SpanStatusName, SpanStatus> = {
  unset: SpanStatus.UNSPECIFIED,
  ok: SpanStatus.OK,
  error: SpanStatus.ERROR,
};

export function toTraceSpan(span: ReceivedSpan): TraceSpan {
  return create(TraceSpanSchema, {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId ?? '',
    name: span.name,
    service: span.service,
    kind: kinds[span.kind],
    startTime: timestampFromNanos(span.startTimeUnixNano),
    endTime: timestampFromNanos(span.endTimeUnixNano),
    status: statuses[span.status.code],
    statusMessage: span.status.message ?? '',
    attributes: toProtoAttributes(span.attributes),
    events: span.events.map((e) =>
      create(SpanEventSchema, {
        name: e.name,
        time: timestampFromNanos(e.timeUnixNano),
        attributes: toProtoAttributes(e.attributes),
      }),
    ),
    links: span.links.map((l) =>
      create(SpanLinkSchema, {
        traceId: l.traceId,
        spanId: l.spanId,
        attributes: toProtoAttributes(l.attributes),
      }),
    ),
  });
}

export function toLogRecord(record: ReceivedLogRecord): LogRecord {
  return create(LogRecordSchema, {
    time: timestampFromNanos(record.timeUnixNano),
    severity: record.severityText,
    service: record.service,
    body: record.body,
    traceId: record.traceId ?? '',
    spanId: record.spanId ?? '',
    attributes: toProtoAttributes(record.attributes),
  });
}
