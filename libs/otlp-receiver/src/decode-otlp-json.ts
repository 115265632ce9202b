// Decodes OTLP/HTTP JSON bodies: the protobuf JSON mapping with the OTLP
// exceptions (trace and span ids in hex, enums as integers or names, 64-bit
// integers as numbers or decimal strings). Unknown fields are ignored.
import {
  buildLogRecord,
  buildReceivedSpan,
  checkDepth,
  emptyRawSpan,
  int64Value,
  type RawSpan,
  type SpanOrigin,
} from './build-received-span';
import type { DecodedLogs, DecodedMetrics, DecodedTraces } from './decoded-request';
import { OtlpDecodeError } from './otlp-decode-error';
import {
  temporalityNames,
  type MetricKindName,
  type ReceivedMetricPoint,
} from './received-metric-point';
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

function serviceOf(resource: Attributes): string {
  const service = resource['service.name'];
  return typeof service === 'string' && service !== '' ? service : 'unknown_service';
}

function number(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  // The JSON mapping writes NaN and the infinities as strings.
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  throw new OtlpDecodeError(`${where} must be a number`);
}

function uint64Array(value: unknown, where: string): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an array`);
  return value.map((v, i) => Number(int64(v, `${where}[${i}]`)));
}

function numberArray(value: unknown, where: string): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an array`);
  return value.map((v, i) => number(v, `${where}[${i}]`) ?? 0);
}

/** The one data field of a Metric, in the order OTLP lists them. */
const metricKinds: readonly [string, MetricKindName][] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

function dataPoint(
  p: Json,
  where: string,
  head: Omit<ReceivedMetricPoint, 'attributes' | 'startTimeUnixNano' | 'timeUnixNano'>,
): ReceivedMetricPoint {
  const isNumber = head.kind === 'gauge' || head.kind === 'sum';
  const value = isNumber
    ? 'asInt' in p
      ? Number(int64(p.asInt, `${where}.asInt`))
      : number(p.asDouble, `${where}.asDouble`)
    : undefined;
  const count = isNumber ? undefined : Number(int64(p.count, `${where}.count`));
  const sum = isNumber ? undefined : number(p.sum, `${where}.sum`);
  return {
    ...head,
    attributes: attributes(p.attributes, `${where}.attributes`),
    startTimeUnixNano: int64(p.startTimeUnixNano, `${where}.startTimeUnixNano`).toString(),
    timeUnixNano: int64(p.timeUnixNano, `${where}.timeUnixNano`).toString(),
    ...(count === undefined ? {} : { count }),
    ...(sum === undefined ? {} : { sum }),
    ...(head.kind === 'histogram'
      ? {
          bucketCounts: uint64Array(p.bucketCounts, `${where}.bucketCounts`),
          explicitBounds: numberArray(p.explicitBounds, `${where}.explicitBounds`),
        }
      : {}),
    ...(value === undefined ? {} : { value }),
  };
}

export function decodeMetricsJson(body: Uint8Array): DecodedMetrics {
  const result: DecodedMetrics = { points: [], metrics: 0 };
  array(parse(body).resourceMetrics, 'resourceMetrics').forEach((rm, i) => {
    const service = serviceOf(resourceAttributes(rm.resource, `resourceMetrics[${i}].resource`));
    array(rm.scopeMetrics, `resourceMetrics[${i}].scopeMetrics`).forEach((sm, j) => {
      array(sm.metrics, `resourceMetrics[${i}].scopeMetrics[${j}].metrics`).forEach((m, k) => {
        const where = `resourceMetrics[${i}].scopeMetrics[${j}].metrics[${k}]`;
        result.metrics++;
        const found = metricKinds.find(([field]) => m[field] !== undefined && m[field] !== null);
        if (!found) return;
        const [field, kind] = found;
        const data = object(m[field], `${where}.${field}`);
        const head = {
          service,
          name: string(m.name, `${where}.name`),
          unit: string(m.unit, `${where}.unit`),
          kind,
          temporality:
            temporalityNames[
              enumValue(
                data.aggregationTemporality,
                'AGGREGATION_TEMPORALITY_',
                temporalityNames,
                `${where}.${field}.aggregationTemporality`,
              )
            ] ?? 'unspecified',
        };
        array(data.dataPoints, `${where}.${field}.dataPoints`).forEach((p, n) => {
          result.points.push(dataPoint(p, `${where}.${field}.dataPoints[${n}]`, head));
        });
      });
    });
  });
  return result;
}

export function decodeLogsJson(body: Uint8Array): DecodedLogs {
  const result: DecodedLogs = { records: [] };
  array(parse(body).resourceLogs, 'resourceLogs').forEach((rl, i) => {
    const service = serviceOf(resourceAttributes(rl.resource, `resourceLogs[${i}].resource`));
    array(rl.scopeLogs, `resourceLogs[${i}].scopeLogs`).forEach((sl, j) => {
      array(sl.logRecords, `resourceLogs[${i}].scopeLogs[${j}].logRecords`).forEach((r, k) => {
        const where = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`;
        const time = int64(r.timeUnixNano, `${where}.timeUnixNano`);
        const severity = r.severityNumber;
        result.records.push(
          buildLogRecord({
            time:
              time === 0n ? int64(r.observedTimeUnixNano, `${where}.observedTimeUnixNano`) : time,
            severityNumber:
              typeof severity === 'string'
                ? severityNumberOf(severity)
                : Number(int64(severity, `${where}.severityNumber`)),
            severityText: string(r.severityText, `${where}.severityText`),
            body: r.body === undefined ? null : anyValue(r.body, `${where}.body`, 0),
            service,
            traceId: hexId(r.traceId, `${where}.traceId`),
            spanId: hexId(r.spanId, `${where}.spanId`),
            attributes: attributes(r.attributes, `${where}.attributes`),
          }),
        );
      });
    });
  });
  return result;
}

/** SEVERITY_NUMBER_WARN2 and the like, as the JSON mapping may name the enum; unknown names are 0. */
function severityNumberOf(name: string): number {
  const match = /^SEVERITY_NUMBER_(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([2-4]?)$/.exec(name);
  if (!match) return 0;
  const band = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].indexOf(match[1]!);
  return band * 4 + Number(match[2] || 1);
}
