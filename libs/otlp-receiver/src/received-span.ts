/**
 * One span as the receiver keeps it: plain JSON (ids in lowercase hex, times
 * as decimal nanosecond strings), so the same object is stored in memory,
 * written as a JSON line and read back by another process unchanged.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

export type Attributes = Readonly<Record<string, AttributeValue>>;

export type SpanKindName =
  'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type SpanStatusName = 'unset' | 'ok' | 'error';

export interface ReceivedSpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

export interface ReceivedSpanEvent {
  readonly name: string;
  readonly timeUnixNano: string;
  readonly attributes: Attributes;
}

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent on a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  /** end - start in milliseconds, precomputed because every view needs it. */
  readonly durationMs: number;
  readonly status: { readonly code: SpanStatusName; readonly message?: string };
  /** The resource's `service.name`, or `unknown_service` as the SDKs say when it is missing. */
  readonly service: string;
  readonly attributes: Attributes;
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
  readonly events: readonly ReceivedSpanEvent[];
  readonly links: readonly ReceivedSpanLink[];
}

/** OTLP's SpanKind enum, by number. */
export const spanKindNames: readonly SpanKindName[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

/** OTLP's Status.StatusCode enum, by number. */
export const statusNames: readonly SpanStatusName[] = ['unset', 'ok', 'error'];

export function durationMs(startNano: bigint, endNano: bigint): number {
  // Microsecond precision is plenty for a trace view and keeps the numbers short.
  return Number((endNano - startNano) / 1000n) / 1000;
}
