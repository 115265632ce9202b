import type { EachBatchPayload } from 'kafkajs';
import type { RecordBatch } from '../event-bus';
import { toEventRecord } from './to-event-record';

export function toRecordBatch(batch: EachBatchPayload['batch']): RecordBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    records: batch.messages.map((m) => toEventRecord(batch.topic, batch.partition, m)),
  };
}
