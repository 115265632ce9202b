import type { Attributes } from './received-span';

/** One log record as the receiver keeps it: plain JSON, ids in lowercase hex. */
export interface ReceivedLogRecord {
  /** The record's time, or the time it was observed when the producer set none. */
  readonly timeUnixNano: string;
  readonly severityNumber: number;
  /** As sent, else derived from the number (`INFO`, `WARN`...), else empty. */
  readonly severityText: string;
  /** A string body as it is; any other body as its JSON text. */
  readonly body: string;
  readonly service: string;
  /** Absent when the record was not written inside a span. */
  readonly traceId?: string;
  readonly spanId?: string;
  readonly attributes: Attributes;
}

const severityRanges = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** OTLP's SeverityNumber bands of four (1–4 TRACE ... 21–24 FATAL) to their short names. */
export function severityTextOf(severityNumber: number): string {
  if (!(severityNumber >= 1 && severityNumber <= 24)) return '';
  return severityRanges[Math.floor((severityNumber - 1) / 4)]!;
}
