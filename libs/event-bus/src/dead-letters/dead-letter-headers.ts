import { deadLetterTopicOf } from '@switchboard/contracts';

/**
 * Headers a dead letter carries on top of the original record's own, so the
 * record can be understood and redriven without the log of the consumer
 * that gave up on it.
 */
export const deadLetterHeaders = {
  originalTopic: 'dlq_original_topic',
  originalPartition: 'dlq_original_partition',
  originalOffset: 'dlq_original_offset',
  /** Handler attempts made; 0 when the record never reached a handler (it did not decode). */
  attempts: 'dlq_attempts',
  /** The last error's message, at most about 1 KB. */
  error: 'dlq_error',
  /** RFC 3339. */
  failedAt: 'dlq_failed_at',
  /** The consumer group that gave up: several groups may read one topic. */
  consumerGroup: 'dlq_consumer_group',
} as const;

export const DEAD_LETTER_HEADER_PREFIX = 'dlq_';

/** What deadLetterTopicOf appends: `.dlq`. */
export const DLQ_SUFFIX = deadLetterTopicOf('');

/**
 * Set on a redriven record: the consumer group that dead-lettered it, the only
 * one that should handle it again. Every other group's inbox consumer skips
 * it, since it handled (or skipped) the original already. Not a `dlq_` header,
 * because it travels on the live topic; a second dead letter keeps it, and a
 * second redrive sets it afresh.
 */
export const REDRIVE_GROUP_HEADER = 'redrive_group';
