import { toJson } from '@bufbuild/protobuf';
import {
  decodeEvent,
  isEventDecodeError,
  type EventRecord,
  type EventRegistry,
} from '@switchboard/event-bus';

export interface TailLine {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  headers: Record<string, string>;
  type?: string;
  payload?: unknown;
  /** Why the record did not decode; `value` then carries its bytes. */
  error?: string;
  /** The raw value as base64, only for records that did not decode. */
  value?: string | null;
}

/**
 * One record as one JSON line. A record that does not decode is still shown,
 * with the reason and its raw bytes, because those are the ones worth seeing.
 */
export function formatTailLine(record: EventRecord, registry: EventRegistry): string {
  const line: TailLine = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    timestamp: toIsoTime(record.timestamp),
    headers: { ...record.headers },
  };
  try {
    const event = decodeEvent(record, registry);
    line.type = event.type;
    line.payload = toJson(event.schema, event.message, { registry: registry.protobuf });
  } catch (err) {
    if (!isEventDecodeError(err)) throw err;
    line.error = `${err.reason}: ${err.message}`;
    line.value = record.value === null ? null : Buffer.from(record.value).toString('base64');
  }
  return JSON.stringify(line);
}

function toIsoTime(epochMs: string): string {
  const ms = Number(epochMs);
  return Number.isFinite(ms) && ms >= 0 ? new Date(ms).toISOString() : epochMs;
}
