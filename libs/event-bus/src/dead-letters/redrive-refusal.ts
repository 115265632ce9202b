import type { EventRecord } from '../event-record';
import { DLQ_SUFFIX, deadLetterHeaders } from './dead-letter-headers';

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
