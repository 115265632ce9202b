import type { Message } from 'kafkajs';
import type { OutgoingRecord } from '../event-record';

export function toKafkaMessage(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value:
      record.value === null
        ? null
        : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
    headers: { ...record.headers },
  };
}
