import { deadLetterTopicOf } from '@switchboard/contracts';
import type { EventRecord, OutgoingRecord } from '../event-record';

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

const DLQ_SUFFIX = deadLetterTopicOf('');

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

/**
 * Set on a redriven record: the consumer group that dead-lettered it, the only
 * one that should handle it again. Every other group's inbox consumer skips
 * it, since it handled (or skipped) the original already. Not a `dlq_` header,
 * because it travels on the live topic; a second dead letter keeps it, and a
 * second redrive sets it afresh.
 */
export const REDRIVE_GROUP_HEADER = 'redrive_group';

/**
 * Why a dead letter must not be redriven, or undefined when it may be. A
 * letter goes back only to the topic whose twin holds it: one that claims
 * another original topic was not written there by a consumer of that topic
 * (or was tampered with), and redriving it would let whoever can write to
 * one `.dlq` publish onto any topic.
 */
export function redriveRefusal(deadLetter: EventRecord): string | undefined {
  if (!deadLetter.topic.endsWith(DLQ_SUFFIX)) {
    return `${deadLetter.topic} is not a dead-letter topic`;
  }
  const home = deadLetter.topic.slice(0, -DLQ_SUFFIX.length);
  const claimed = deadLetter.headers[deadLetterHeaders.originalTopic];
  if (claimed && claimed !== home) {
    return `${deadLetterHeaders.originalTopic} is ${claimed}, not ${home}`;
  }
  return undefined;
}

/**
 * The record to republish for a dead letter: back on the topic whose twin
 * holds it, with its original key, value and headers (every `dlq_` header
 * dropped, trace headers kept), addressed to the consumer group that gave up
 * on it when the letter says which. Throws for a letter redriveRefusal refuses.
 */
export function fromDeadLetter(deadLetter: EventRecord): OutgoingRecord {
  const refusal = redriveRefusal(deadLetter);
  if (refusal !== undefined) throw new Error(`cannot redrive this dead letter: ${refusal}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(deadLetter.headers)) {
    if (!name.startsWith(DEAD_LETTER_HEADER_PREFIX)) headers[name] = value;
  }
  const group = deadLetter.headers[deadLetterHeaders.consumerGroup];
  if (group) headers[REDRIVE_GROUP_HEADER] = group;
  else delete headers[REDRIVE_GROUP_HEADER]; // no telling who failed it: every group may retry
  const topic = deadLetter.topic.slice(0, -DLQ_SUFFIX.length);
  return { topic, key: deadLetter.key, value: deadLetter.value, headers };
}

export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - Buffer.byteLength(ellipsis, 'utf8');
  // Cutting bytes may split a character; the decoder turns the stub into U+FFFD, dropped here.
  const cut = Buffer.from(text, 'utf8')
    .subarray(0, budget)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return cut + ellipsis;
}
