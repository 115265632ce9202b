import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { DeadLetterSchema, type DeadLetter } from '@switchboard/contracts';
import { deadLetterHeaders, type EventRegistry, type ReadDeadLetter } from '@switchboard/event-bus';
import { toTopicRecord } from '../topics/to-topic-record';

/**
 * A letter with its dlq_* headers read into fields. A header that is missing
 * or not a number (a letter written by hand) leaves its field at zero rather
 * than hiding the letter: the raw headers are on the record either way.
 */
export function toDeadLetterMessage(letter: ReadDeadLetter, registry: EventRegistry): DeadLetter {
  const headers = letter.record.headers;
  const message = create(DeadLetterSchema, {
    record: toTopicRecord(letter.record, registry),
    originalTopic: headers[deadLetterHeaders.originalTopic] ?? '',
    originalPartition: integerOr0(headers[deadLetterHeaders.originalPartition]),
    originalOffset: BigInt(integerOr0(headers[deadLetterHeaders.originalOffset], true)),
    consumerGroup: headers[deadLetterHeaders.consumerGroup] ?? '',
    attempts: integerOr0(headers[deadLetterHeaders.attempts]),
    error: headers[deadLetterHeaders.error] ?? '',
    redriven: letter.redriven,
    redriveRefused: letter.redriveRefused ?? '',
  });
  const failedAt = Date.parse(headers[deadLetterHeaders.failedAt] ?? '');
  if (Number.isFinite(failedAt)) message.failedAt = timestampFromMs(failedAt);
  return message;
}

function integerOr0(text: string | undefined, big: true): string;
function integerOr0(text: string | undefined): number;
function integerOr0(text: string | undefined, big?: true): number | string {
  const valid = text !== undefined && /^\d{1,19}$/.test(text);
  if (big) return valid ? text : '0';
  return valid && Number(text) <= 2 ** 31 - 1 ? Number(text) : 0;
}
