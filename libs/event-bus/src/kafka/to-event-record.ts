import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { EventRecord } from '../event-record';

/** A kafkajs message as the rest of the bus sees a record: no Buffers, string headers. */
export function toEventRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): EventRecord {
  const binaryHeaders = headersNotText(message.headers);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    headers: headersToStrings(message.headers),
    ...(binaryHeaders && { binaryHeaders }),
    value:
      message.value === null
        ? null
        : new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength),
    timestamp: message.timestamp,
  };
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The first value of each header that does not decode as UTF-8, or undefined when none. */
function headersNotText(headers: IHeaders | undefined): Record<string, Uint8Array> | undefined {
  let out: Record<string, Uint8Array> | undefined;
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (typeof value === 'string' || value === undefined) continue;
    try {
      strictUtf8.decode(value);
    } catch {
      (out ??= {})[name] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return out;
}
