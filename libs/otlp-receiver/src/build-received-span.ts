import { OtlpDecodeError } from './otlp-decode-error';
import { severityTextOf, type ReceivedLogRecord } from './received-log-record';
import {
  durationMs,
  type AttributeValue,
  spanKindNames,
  statusNames,
  type Attributes,
  type ReceivedSpan,
  type ReceivedSpanEvent,
  type ReceivedSpanLink,
} from './received-span';

/** What both wire formats decode a span to, before it is checked. Ids are lowercase hex. */
export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Attributes;
  statusCode: number;
  statusMessage: string;
  events: ReceivedSpanEvent[];
  links: ReceivedSpanLink[];
}

export interface SpanOrigin {
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
}

export function emptyRawSpan(): RawSpan {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    start: 0n,
    end: 0n,
    attributes: {},
    statusCode: 0,
    statusMessage: '',
    events: [],
    links: [],
  };
}

const zeroTraceId = '0'.repeat(32);
const zeroSpanId = '0'.repeat(16);

/**
 * Checks a decoded span and gives it its stored shape, or says why it is
 * rejected: OTLP answers such spans with a partial success rather than
 * refusing the spans sent alongside them.
 */
export function buildReceivedSpan(raw: RawSpan, origin: SpanOrigin): ReceivedSpan | string {
  if (!isId(raw.traceId, 32) || raw.traceId === zeroTraceId) {
    return `span "${raw.name}": trace id must be 16 bytes, not all zero`;
  }
  if (!isId(raw.spanId, 16) || raw.spanId === zeroSpanId) {
    return `span "${raw.name}": span id must be 8 bytes, not all zero`;
  }
  if (raw.parentSpanId !== '' && !isId(raw.parentSpanId, 16)) {
    return `span "${raw.name}": parent span id must be 8 bytes or empty`;
  }
  const end = raw.end < raw.start ? raw.start : raw.end;
  const service = origin.resource['service.name'];
  const parent =
    raw.parentSpanId === '' || raw.parentSpanId === zeroSpanId
      ? {}
      : { parentSpanId: raw.parentSpanId };
  return {
    traceId: raw.traceId,
    spanId: raw.spanId,
    ...parent,
    name: raw.name,
    kind: spanKindNames[raw.kind] ?? 'unspecified',
    startTimeUnixNano: raw.start.toString(),
    endTimeUnixNano: end.toString(),
    durationMs: durationMs(raw.start, end),
    status: {
      code: statusNames[raw.statusCode] ?? 'unset',
      ...(raw.statusMessage ? { message: raw.statusMessage } : {}),
    },
    service: typeof service === 'string' && service !== '' ? service : 'unknown_service',
    attributes: raw.attributes,
    resource: origin.resource,
    scope: origin.scope,
    events: raw.events,
    links: raw.links,
  };
}

function isId(hex: string, length: number): boolean {
  return hex.length === length && /^[0-9a-f]+$/.test(hex);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** An int64 as a JSON number where that is exact, else as its decimal string. */
export function int64Value(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** Nesting of attribute values (arrays, key-value lists) deeper than this is refused, so a crafted body cannot exhaust the stack. */
export const maxValueDepth = 16;

export function checkDepth(depth: number): void {
  if (depth > maxValueDepth) {
    throw new OtlpDecodeError(`attribute values nest deeper than ${maxValueDepth} levels`);
  }
}

/** What both wire formats decode a log record to. Ids are lowercase hex, empty when absent. */
export interface RawLogRecord {
  time: bigint;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  service: string;
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

/**
 * Gives a log record its stored shape. Ids that are not well formed are left
 * out rather than refusing the line: a log line is worth keeping even when
 * its correlation is broken.
 */
export function buildLogRecord(raw: RawLogRecord): ReceivedLogRecord {
  const traced = isId(raw.traceId, 32) && raw.traceId !== zeroTraceId;
  const spanned = traced && isId(raw.spanId, 16) && raw.spanId !== zeroSpanId;
  return {
    timeUnixNano: raw.time.toString(),
    severityNumber: raw.severityNumber,
    severityText: raw.severityText || severityTextOf(raw.severityNumber),
    body:
      typeof raw.body === 'string' ? raw.body : raw.body === null ? '' : JSON.stringify(raw.body),
    service: raw.service,
    ...(traced ? { traceId: raw.traceId } : {}),
    ...(spanned ? { spanId: raw.spanId } : {}),
    attributes: raw.attributes,
  };
}
