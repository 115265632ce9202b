import { deadLetterTopicOf } from '@switchboard/contracts';
import type { EventRecord, OutgoingRecord } from '../event-record';
import { deadLetterHeaders } from './dead-letter-headers';
import { truncateUtf8 } from './truncate-utf8';

/** Kafka headers are cheap but not free; a stack-sized message has no place in one. */
const MAX_ERROR_BYTES = 1024;

export interface DeadLetterFailure {
  readonly attempts: number;
  readonly error: string;
  readonly groupId: string;
  readonly failedAt?: Date;
}

/**
 * The original record, unchanged (key, value, headers), addressed to its
 * topic's `.dlq` twin and annotated with why and where it failed.
 */
export function toDeadLetter(record: EventRecord, failure: DeadLetterFailure): OutgoingRecord {
  return {
    topic: deadLetterTopicOf(record.topic),
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [deadLetterHeaders.originalTopic]: record.topic,
      [deadLetterHeaders.originalPartition]: String(record.partition),
      [deadLetterHeaders.originalOffset]: record.offset,
      [deadLetterHeaders.attempts]: String(failure.attempts),
      [deadLetterHeaders.error]: truncateUtf8(failure.error, MAX_ERROR_BYTES),
      [deadLetterHeaders.failedAt]: (failure.failedAt ?? new Date()).toISOString(),
      [deadLetterHeaders.consumerGroup]: failure.groupId,
    },
  };
}
