// Decodes OTLP/HTTP JSON bodies: the protobuf JSON mapping with the OTLP
// exceptions (trace and span ids in hex, enums as integers or names, 64-bit
// integers as numbers or decimal strings). Unknown fields are ignored.
import {
  buildReceivedSpan,
  checkDepth,
  emptyRawSpan,
  int64Value,
  type RawSpan,
  type SpanOrigin,
} from './build-received-span';
import type { DecodedCounts, DecodedTraces } from './decoded-request';
import { OtlpDecodeError } from './otlp-decode-error';
import {
  spanKindNames,
  statusNames,
  type AttributeValue,
  type Attributes,
  type ReceivedSpanEvent,
  type ReceivedSpanLink,
} from './received-span';

type Json = Record<string, unknown>;

function parse(body: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON: ${(err as Error).message}`);
  }
  return object(value, 'the request body');
}

function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError(`${where} must be a JSON object`);
  }
  return value as Json;
}

function optionalObject(value: unknown, where: string): Json {
  return value === undefined || value === null ? {} : object(value, where);
}

function array(value: unknown, where: string): Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an array`);
  return value.map((v, i) => object(v, `${where}[${i}]`));
}

function string(value: unknown, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new OtlpDecodeError(`${where} must be a string`);
  return value;
}

function int64(value: unknown, where: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new OtlpDecodeError(`${where} must be an integer or a decimal string`);
}

function hexId(value: unknown, where: string): string {
  return string(value, where).toLowerCase();
}

/** An enum as its number or its proto name (e.g. SPAN_KIND_SERVER); unknown names map to 0. */
function enumValue(
  value: unknown,
  prefix: string,
  names: readonly string[],
  where: string,
): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const index = names.indexOf(value.replace(prefix, '').toLowerCase());
    return index < 0 ? 0 : index;
  }
  throw new OtlpDecodeError(`${where} must be an enum number or name`);
}

function anyValue(value: unknown, where: string, depth: number): AttributeValue {
  checkDepth(depth);
  const v = optionalObject(value, where);
  if ('stringValue' in v) return string(v.stringValue, `${where}.stringValue`);
  if ('boolValue' in v) {
    if (typeof v.boolValue !== 'boolean')
      throw new OtlpDecodeError(`${where}.boolValue must be a boolean`);
    return v.boolValue;
  }
  if ('intValue' in v) return int64Value(int64(v.intValue, `${where}.intValue`));
  if ('doubleValue' in v) {
    if (typeof v.doubleValue !== 'number')
      throw new OtlpDecodeError(`${where}.doubleValue must be a number`);
    return v.doubleValue;
  }
  if ('arrayValue' in v) {
    const values = optionalObject(v.arrayValue, `${where}.arrayValue`).values;
    if (values === undefined || values === null) return [];
    if (!Array.isArray(values))
      throw new OtlpDecodeError(`${where}.arrayValue.values must be an array`);
    return values.map((item, i) => anyValue(item, `${where}.arrayValue.values[${i}]`, depth + 1));
  }
  if ('kvlistValue' in v) {
    const list = optionalObject(v.kvlistValue, `${where}.kvlistValue`).values;
    return attributes(list, `${where}.kvlistValue.values`, depth + 1);
  }
  if ('bytesValue' in v) return string(v.bytesValue, `${where}.bytesValue`);
  return null;
}

function attributes(value: unknown, where: string, depth = 0): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  array(value, where).forEach((kv, i) => {
    result[string(kv.key, `${where}[${i}].key`)] = anyValue(
      kv.value,
      `${where}[${i}].value`,
      depth,
    );
  });
  return result;
}

function span(s: Json, where: string): RawSpan {
  const raw = emptyRawSpan();
  raw.traceId = hexId(s.traceId, `${where}.traceId`);
  raw.spanId = hexId(s.spanId, `${where}.spanId`);
  raw.parentSpanId = hexId(s.parentSpanId, `${where}.parentSpanId`);
  raw.name = string(s.name, `${where}.name`);
  raw.kind = enumValue(s.kind, 'SPAN_KIND_', spanKindNames, `${where}.kind`);
  raw.start = int64(s.startTimeUnixNano, `${where}.startTimeUnixNano`);
  raw.end = int64(s.endTimeUnixNano, `${where}.endTimeUnixNano`);
  raw.attributes = attributes(s.attributes, `${where}.attributes`);
  raw.events = array(s.events, `${where}.events`).map((e, i): ReceivedSpanEvent => ({
    name: string(e.name, `${where}.events[${i}].name`),
    timeUnixNano: int64(e.timeUnixNano, `${where}.events[${i}].timeUnixNano`).toString(),
    attributes: attributes(e.attributes, `${where}.events[${i}].attributes`),
  }));
  raw.links = array(s.links, `${where}.links`).map((l, i): ReceivedSpanLink => ({
    traceId: hexId(l.traceId, `${where}.links[${i}].traceId`),
    spanId: hexId(l.spanId, `${where}.links[${i}].spanId`),
    attributes: attributes(l.attributes, `${where}.links[${i}].attributes`),
  }));
  const status = optionalObject(s.status, `${where}.status`);
  raw.statusCode = enumValue(status.code, 'STATUS_CODE_', statusNames, `${where}.status.code`);
  raw.statusMessage = string(status.message, `${where}.status.message`);
  return raw;
}

function resourceAttributes(value: unknown, where: string): Attributes {
  return attributes(optionalObject(value, where).attributes, `${where}.attributes`);
}

export function decodeTracesJson(body: Uint8Array): DecodedTraces {
  const result: DecodedTraces = { spans: [], rejected: [] };
  array(parse(body).resourceSpans, 'resourceSpans').forEach((rs, i) => {
    const resource = resourceAttributes(rs.resource, `resourceSpans[${i}].resource`);
    array(rs.scopeSpans, `resourceSpans[${i}].scopeSpans`).forEach((ss, j) => {
      const where = `resourceSpans[${i}].scopeSpans[${j}]`;
      const sc = optionalObject(ss.scope, `${where}.scope`);
      const version = string(sc.version, `${where}.scope.version`);
      const origin: SpanOrigin = {
        resource,
        scope: { name: string(sc.name, `${where}.scope.name`), ...(version ? { version } : {}) },
      };
      array(ss.spans, `${where}.spans`).forEach((s, k) => {
        const built = buildReceivedSpan(span(s, `${where}.spans[${k}]`), origin);
        if (typeof built === 'string') result.rejected.push(built);
        else result.spans.push(built);
      });
    });
  });
  return result;
}

export function decodeMetricsJson(body: Uint8Array): DecodedCounts {
  return countNested(parse(body), ['resourceMetrics', 'scopeMetrics', 'metrics']);
}

export function decodeLogsJson(body: Uint8Array): DecodedCounts {
  return countNested(parse(body), ['resourceLogs', 'scopeLogs', 'logRecords']);
}

function countNested(body: Json, [perResource, perScope, items]: string[]): DecodedCounts {
  let count = 0;
  array(body[perResource!], perResource!).forEach((r, i) =>
    array(r[perScope!], `${perResource}[${i}].${perScope}`).forEach((s, j) => {
      count += array(s[items!], `${perResource}[${i}].${perScope}[${j}].${items}`).length;
    }),
  );
  return { items: count };
}
