import type { EventRecord, OutgoingRecord } from '../event-record';
import {
  DEAD_LETTER_HEADER_PREFIX,
  DLQ_SUFFIX,
  REDRIVE_GROUP_HEADER,
  deadLetterHeaders,
} from './dead-letter-headers';
import { redriveRefusal } from './redrive-refusal';

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
