import { SeverityNumber, type Attributes, type Context, type LogRecord } from '@opentelemetry/api';

/** pino's level labels, as this logger writes them, on OTel's severity scale. */
const SEVERITY: Readonly<Record<string, SeverityNumber>> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

/**
 * Fields the record carries elsewhere: the level as its severity, the time as
 * its timestamp, the message as its body, the trace ids in its context.
 */
const CARRIED = new Set(['level', 'time', 'msg', 'trace_id', 'span_id']);

/** Deeper objects become one JSON string: attributes are for filtering, not for trees. */
const MAX_FLATTEN_DEPTH = 4;

type Primitive = string | number | boolean;

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An array OTLP can carry as it is: primitives of one type. */
function isHomogeneous(values: unknown[]): values is Primitive[] {
  if (values.length === 0) return true;
  const type = typeof values[0];
  return values.every((v) => isPrimitive(v) && typeof v === type);
}

/**
 * Nested objects as dotted keys (`request.email`), the way OTel names
 * attributes, so a log view can show and filter them like span attributes.
 */
function flatten(into: Attributes, key: string, value: unknown, depth: number): void {
  if (value === undefined) return;
  if (isPrimitive(value)) {
    into[key] = value;
  } else if (Array.isArray(value)) {
    into[key] = isHomogeneous(value) ? value : JSON.stringify(value);
  } else if (isPlainObject(value) && depth < MAX_FLATTEN_DEPTH) {
    for (const [name, item] of Object.entries(value))
      flatten(into, `${key}.${name}`, item, depth + 1);
  } else {
    into[key] = JSON.stringify(value);
  }
}

/** pino's serialised error (`err`) under OTel's exception attribute names. */
function exceptionAttributes(into: Attributes, err: Record<string, unknown>): void {
  const { type, message, stack, ...rest } = err;
  if (typeof type === 'string') into['exception.type'] = type;
  if (typeof message === 'string') into['exception.message'] = message;
  if (typeof stack === 'string') into['exception.stacktrace'] = stack;
  for (const [name, item] of Object.entries(rest)) flatten(into, `err.${name}`, item, 1);
}

/**
 * One JSON line of this logger as an OTel log record: the level as severity
 * (number and pino's label), the message as the body, the line's time, the
 * other fields as attributes, and `context` so the record carries the trace
 * and span the line names. The line is the one written to stdout, after
 * redaction, so what leaves the process over OTLP is what the terminal shows.
 * Undefined when the line is not a JSON object.
 */
export function toLogRecord(line: string, context?: Context): LogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (CARRIED.has(name)) continue;
    if (name === 'err' && isPlainObject(value)) exceptionAttributes(attributes, value);
    else flatten(attributes, name, value, 0);
  }
  const record: LogRecord = { attributes };
  const { level, time, msg } = parsed;
  if (typeof level === 'string') {
    record.severityText = level;
    record.severityNumber = SEVERITY[level] ?? SeverityNumber.UNSPECIFIED;
  }
  if (typeof msg === 'string') record.body = msg;
  if (typeof time === 'string' || typeof time === 'number') {
    const at = new Date(time);
    if (!Number.isNaN(at.getTime())) record.timestamp = at;
  }
  if (context !== undefined) record.context = context;
  return record;
}
