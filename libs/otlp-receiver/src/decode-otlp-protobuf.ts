// Decodes OTLP/HTTP protobuf bodies (opentelemetry-proto's collector/*/v1
// Export*ServiceRequest) with @bufbuild/protobuf's wire reader, walking only
// the fields a trace view needs and skipping the rest, so fields added to the
// protocol later are ignored as protobuf intends. The SDK's otlp-transformer
// only encodes requests; it has no decoder for them.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  buildReceivedSpan,
  checkDepth,
  emptyRawSpan,
  int64Value,
  toHex,
  type RawSpan,
  type SpanOrigin,
} from './build-received-span';
import type { DecodedCounts, DecodedTraces } from './decoded-request';
import { OtlpDecodeError } from './otlp-decode-error';
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
  double = () => this.expect(WireType.Bit64).double();
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

/**
 * Metrics and logs are only checked and counted (metrics, log records) for
 * now: nothing shows them yet, and a collector-less `npm start` should not
 * fail because a service also exports them here.
 */
export function decodeMetricsProtobuf(body: Uint8Array): DecodedCounts {
  return countNested(body, ['ExportMetricsServiceRequest', 'ResourceMetrics', 'ScopeMetrics']);
}

export function decodeLogsProtobuf(body: Uint8Array): DecodedCounts {
  return countNested(body, ['ExportLogsServiceRequest', 'ResourceLogs', 'ScopeLogs']);
}

/** Counts the items at field 2 of the third level, below field 1 → field 2 (the shape metrics and logs share). */
function countNested(body: Uint8Array, [request, perResource, perScope]: string[]): DecodedCounts {
  return guarded(body, () => {
    let items = 0;
    eachField(body, request!, (no, f) => {
      if (no !== 1) return;
      eachField(f.bytes(), perResource!, (n, g) => {
        if (n !== 2) return;
        eachField(g.bytes(), perScope!, (m, h) => {
          if (m !== 2) return;
          h.bytes();
          items++;
        });
      });
    });
    return { items };
  });
}
