// Decodes OTLP/HTTP protobuf bodies (opentelemetry-proto's collector/*/v1
// Export*ServiceRequest) with @bufbuild/protobuf's wire reader, walking only
// the fields a trace view needs and skipping the rest, so fields added to the
// protocol later are ignored as protobuf intends. The SDK's otlp-transformer
// only encodes requests; it has no decoder for them.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  buildLogRecord,
  buildReceivedSpan,
  checkDepth,
  emptyRawSpan,
  int64Value,
  toHex,
  type RawSpan,
  type SpanOrigin,
} from './build-received-span';
import type { DecodedLogs, DecodedMetrics, DecodedTraces } from './decoded-request';
import { OtlpDecodeError } from './otlp-decode-error';
import type { ReceivedLogRecord } from './received-log-record';
import {
  temporalityNames,
  type MetricKindName,
  type ReceivedMetricPoint,
} from './received-metric-point';
import type {
  AttributeValue,
  Attributes,
  ReceivedSpanEvent,
  ReceivedSpanLink,
} from './received-span';

/** A field's value, read in the shape the schema gives it; a mismatched wire type is a malformed body. */
class Field {
  consumed = false;
  constructor(
    private readonly reader: BinaryReader,
    readonly wireType: WireType,
    private readonly where: string,
  ) {}

  private expect(wireType: WireType): BinaryReader {
    if (this.wireType !== wireType) {
      throw new OtlpDecodeError(
        `${this.where} has wire type ${this.wireType}, expected ${wireType}`,
      );
    }
    this.consumed = true;
    return this.reader;
  }
  bytes = () => this.expect(WireType.LengthDelimited).bytes();
  string = () => this.expect(WireType.LengthDelimited).string();
  varint = () => this.expect(WireType.Varint).uint32();
  bool = () => this.expect(WireType.Varint).bool();
  int64 = () => BigInt(this.expect(WireType.Varint).int64());
  fixed64 = () => BigInt(this.expect(WireType.Bit64).fixed64());
  sfixed64 = () => BigInt(this.expect(WireType.Bit64).sfixed64());
  double = () => this.expect(WireType.Bit64).double();
  /** A repeated fixed64 or double: packed (as encoders write it) or one element per tag. */
  repeated64 = (into: number[], as: 'fixed64' | 'double'): void => {
    if (this.wireType === WireType.Bit64) {
      into.push(as === 'double' ? this.double() : Number(this.fixed64()));
      return;
    }
    const packed = new BinaryReader(this.bytes());
    while (packed.pos < packed.len) {
      into.push(as === 'double' ? packed.double() : Number(packed.fixed64()));
    }
  };
}

function eachField(
  bytes: Uint8Array,
  message: string,
  read: (fieldNo: number, field: Field) => void,
): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const field = new Field(reader, wireType, `${message} field ${fieldNo}`);
    read(fieldNo, field);
    if (!field.consumed) reader.skip(wireType, fieldNo);
  }
}

/** Runs a decoder, turning the wire reader's own errors (premature end, bad varint) into OtlpDecodeError. */
function guarded<T>(body: Uint8Array, decode: (body: Uint8Array) => T): T {
  try {
    return decode(body);
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError(`malformed protobuf: ${(err as Error).message}`);
  }
}

function anyValue(bytes: Uint8Array, depth: number): AttributeValue {
  checkDepth(depth);
  let value: AttributeValue = null;
  eachField(bytes, 'AnyValue', (no, f) => {
    if (no === 1) value = f.string();
    else if (no === 2) value = f.bool();
    else if (no === 3) value = int64Value(f.int64());
    else if (no === 4) value = f.double();
    else if (no === 5) {
      const values: AttributeValue[] = [];
      eachField(f.bytes(), 'ArrayValue', (n, g) => {
        if (n === 1) values.push(anyValue(g.bytes(), depth + 1));
      });
      value = values;
    } else if (no === 6) {
      const entries: Record<string, AttributeValue> = {};
      eachField(f.bytes(), 'KeyValueList', (n, g) => {
        if (n === 1) keyValue(g.bytes(), entries, depth + 1);
      });
      value = entries;
    } else if (no === 7) value = Buffer.from(f.bytes()).toString('base64');
  });
  return value;
}

function keyValue(bytes: Uint8Array, into: Record<string, AttributeValue>, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  eachField(bytes, 'KeyValue', (no, f) => {
    if (no === 1) key = f.string();
    else if (no === 2) value = anyValue(f.bytes(), depth);
  });
  into[key] = value;
}

function serviceOf(resource: Attributes): string {
  const service = resource['service.name'];
  return typeof service === 'string' && service !== '' ? service : 'unknown_service';
}

function resource(bytes: Uint8Array): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  eachField(bytes, 'Resource', (no, f) => {
    if (no === 1) keyValue(f.bytes(), attributes, 0);
  });
  return attributes;
}

function scope(bytes: Uint8Array): SpanOrigin['scope'] {
  let name = '';
  let version = '';
  eachField(bytes, 'InstrumentationScope', (no, f) => {
    if (no === 1) name = f.string();
    else if (no === 2) version = f.string();
  });
  return version ? { name, version } : { name };
}

function event(bytes: Uint8Array): ReceivedSpanEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Record<string, AttributeValue> = {};
  eachField(bytes, 'Span.Event', (no, f) => {
    if (no === 1) timeUnixNano = f.fixed64();
    else if (no === 2) name = f.string();
    else if (no === 3) keyValue(f.bytes(), attributes, 0);
  });
  return { name, timeUnixNano: timeUnixNano.toString(), attributes };
}

function link(bytes: Uint8Array): ReceivedSpanLink {
  let traceId = '';
  let spanId = '';
  const attributes: Record<string, AttributeValue> = {};
  eachField(bytes, 'Span.Link', (no, f) => {
    if (no === 1) traceId = toHex(f.bytes());
    else if (no === 2) spanId = toHex(f.bytes());
    else if (no === 4) keyValue(f.bytes(), attributes, 0);
  });
  return { traceId, spanId, attributes };
}

function span(bytes: Uint8Array): RawSpan {
  const raw = emptyRawSpan();
  const attributes: Record<string, AttributeValue> = {};
  raw.attributes = attributes;
  eachField(bytes, 'Span', (no, f) => {
    switch (no) {
      case 1:
        raw.traceId = toHex(f.bytes());
        break;
      case 2:
        raw.spanId = toHex(f.bytes());
        break;
      case 4:
        raw.parentSpanId = toHex(f.bytes());
        break;
      case 5:
        raw.name = f.string();
        break;
      case 6:
        raw.kind = f.varint();
        break;
      case 7:
        raw.start = f.fixed64();
        break;
      case 8:
        raw.end = f.fixed64();
        break;
      case 9:
        keyValue(f.bytes(), attributes, 0);
        break;
      case 11:
        raw.events.push(event(f.bytes()));
        break;
      case 13:
        raw.links.push(link(f.bytes()));
        break;
      case 15:
        eachField(f.bytes(), 'Status', (n, g) => {
          if (n === 2) raw.statusMessage = g.string();
          else if (n === 3) raw.statusCode = g.varint();
        });
        break;
    }
  });
  return raw;
}

/** ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span. */
export function decodeTracesProtobuf(body: Uint8Array): DecodedTraces {
  return guarded(body, () => {
    const result: DecodedTraces = { spans: [], rejected: [] };
    eachField(body, 'ExportTraceServiceRequest', (no, f) => {
      if (no !== 1) return;
      const scopeSpans: Uint8Array[] = [];
      let res: Attributes = {};
      eachField(f.bytes(), 'ResourceSpans', (n, g) => {
        if (n === 1) res = resource(g.bytes());
        else if (n === 2) scopeSpans.push(g.bytes());
      });
      for (const bytes of scopeSpans) {
        const spans: Uint8Array[] = [];
        let sc: SpanOrigin['scope'] = { name: '' };
        eachField(bytes, 'ScopeSpans', (n, g) => {
          if (n === 1) sc = scope(g.bytes());
          else if (n === 2) spans.push(g.bytes());
        });
        for (const s of spans) {
          const built = buildReceivedSpan(span(s), { resource: res, scope: sc });
          if (typeof built === 'string') result.rejected.push(built);
          else result.spans.push(built);
        }
      }
    });
    return result;
  });
}

/** Walks request → resource → scope → item, the shape all three export requests share, giving each item with its resource. */
function eachItem(
  body: Uint8Array,
  [request, perResource, perScope]: readonly string[],
  read: (item: Uint8Array, resource: Attributes) => void,
): void {
  eachField(body, request!, (no, f) => {
    if (no !== 1) return;
    const scoped: Uint8Array[] = [];
    let res: Attributes = {};
    eachField(f.bytes(), perResource!, (n, g) => {
      if (n === 1) res = resource(g.bytes());
      else if (n === 2) scoped.push(g.bytes());
    });
    for (const bytes of scoped) {
      eachField(bytes, perScope!, (m, h) => {
        if (m === 2) read(h.bytes(), res);
      });
    }
  });
}

interface MetricHead {
  service: string;
  name: string;
  unit: string;
  kind: MetricKindName;
  temporality: number;
}

/** NumberDataPoint (gauges and sums), HistogramDataPoint, ExponentialHistogramDataPoint or SummaryDataPoint. */
function dataPoint(bytes: Uint8Array, head: MetricHead): ReceivedMetricPoint {
  const attributes: Record<string, AttributeValue> = {};
  let start = 0n;
  let time = 0n;
  let value: number | undefined;
  let count: number | undefined;
  let sum: number | undefined;
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  // The attributes field's number differs by point type (7, 9 or 1); the others agree.
  const attributesField =
    head.kind === 'histogram' ? 9 : head.kind === 'exponential_histogram' ? 1 : 7;
  const isNumber = head.kind === 'gauge' || head.kind === 'sum';
  eachField(bytes, 'DataPoint', (no, f) => {
    if (no === attributesField) keyValue(f.bytes(), attributes, 0);
    else if (no === 2) start = f.fixed64();
    else if (no === 3) time = f.fixed64();
    else if (isNumber && no === 4) value = f.double();
    else if (isNumber && no === 6) value = Number(f.sfixed64());
    else if (!isNumber && no === 4) count = Number(f.fixed64());
    else if (!isNumber && no === 5) sum = f.double();
    else if (head.kind === 'histogram' && no === 6) f.repeated64(bucketCounts, 'fixed64');
    else if (head.kind === 'histogram' && no === 7) f.repeated64(explicitBounds, 'double');
  });
  return {
    service: head.service,
    name: head.name,
    unit: head.unit,
    kind: head.kind,
    temporality: temporalityNames[head.temporality] ?? 'unspecified',
    attributes,
    startTimeUnixNano: start.toString(),
    timeUnixNano: time.toString(),
    ...(count === undefined ? {} : { count }),
    ...(sum === undefined ? {} : { sum }),
    ...(head.kind === 'histogram' ? { bucketCounts, explicitBounds } : {}),
    ...(value === undefined ? {} : { value }),
  };
}

const metricKinds: Partial<Record<number, MetricKindName>> = {
  5: 'gauge',
  7: 'sum',
  9: 'histogram',
  10: 'exponential_histogram',
  11: 'summary',
};

/** ExportMetricsServiceRequest → ResourceMetrics → ScopeMetrics → Metric → data points. */
export function decodeMetricsProtobuf(body: Uint8Array): DecodedMetrics {
  return guarded(body, () => {
    const result: DecodedMetrics = { points: [], metrics: 0 };
    eachItem(
      body,
      ['ExportMetricsServiceRequest', 'ResourceMetrics', 'ScopeMetrics'],
      (bytes, res) => {
        result.metrics++;
        const head: MetricHead = {
          service: serviceOf(res),
          name: '',
          unit: '',
          kind: 'gauge',
          temporality: 0,
        };
        let data: Uint8Array | undefined;
        eachField(bytes, 'Metric', (no, f) => {
          if (no === 1) head.name = f.string();
          else if (no === 3) head.unit = f.string();
          else if (metricKinds[no]) {
            head.kind = metricKinds[no];
            data = f.bytes();
          }
        });
        if (!data) return;
        const points: Uint8Array[] = [];
        eachField(data, head.kind, (n, g) => {
          if (n === 1) points.push(g.bytes());
          else if (n === 2) head.temporality = g.varint();
        });
        for (const p of points) result.points.push(dataPoint(p, head));
      },
    );
    return result;
  });
}

function logRecord(bytes: Uint8Array, res: Attributes): ReceivedLogRecord {
  let time = 0n;
  let observed = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AttributeValue = null;
  let traceId = '';
  let spanId = '';
  const attributes: Record<string, AttributeValue> = {};
  eachField(bytes, 'LogRecord', (no, f) => {
    if (no === 1) time = f.fixed64();
    else if (no === 11) observed = f.fixed64();
    else if (no === 2) severityNumber = f.varint();
    else if (no === 3) severityText = f.string();
    else if (no === 5) body = anyValue(f.bytes(), 0);
    else if (no === 6) keyValue(f.bytes(), attributes, 0);
    else if (no === 9) traceId = toHex(f.bytes());
    else if (no === 10) spanId = toHex(f.bytes());
  });
  return buildLogRecord({
    time: time === 0n ? observed : time,
    severityNumber,
    severityText,
    body,
    service: serviceOf(res),
    traceId,
    spanId,
    attributes,
  });
}

/** ExportLogsServiceRequest → ResourceLogs → ScopeLogs → LogRecord. */
export function decodeLogsProtobuf(body: Uint8Array): DecodedLogs {
  return guarded(body, () => {
    const result: DecodedLogs = { records: [] };
    eachItem(body, ['ExportLogsServiceRequest', 'ResourceLogs', 'ScopeLogs'], (bytes, res) => {
      result.records.push(logRecord(bytes, res));
    });
    return result;
  });
}
