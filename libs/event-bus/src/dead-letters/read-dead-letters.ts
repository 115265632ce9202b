import type { EventBus } from '../event-bus';
import type { EventRecord } from '../event-record';
import type { ReadDeadLetter } from './read-dead-letter';
import { readToEnd } from './read-to-end';
import { REDRIVE_CONSUMER_GROUP } from './redrive-dead-letters';
import { redriveRefusal } from './redrive-refusal';

export interface ReadDeadLettersOptions {
  /** Only the latest this many letters of each partition; default all retained. */
  readonly lastPerPartition?: number;
  /** Prefix of the reader's throwaway group id. */
  readonly groupPrefix?: string;
}

/**
 * Hands every dead letter retained now on a `.dlq` topic to `onLetter`, in
 * offset order per partition, and resolves with how many; a snapshot, as
 * readToEnd is.
 */
export async function readDeadLetters(
  bus: EventBus,
  topic: string,
  onLetter: (letter: ReadDeadLetter) => Promise<void> | void,
  options: ReadDeadLettersOptions = {},
): Promise<number> {
  // Where the redrive group stands tells which letters it has already sent.
  const redrivenUpTo = new Map<number, bigint>();
  for (const p of await bus.consumerLag(REDRIVE_CONSUMER_GROUP, [topic])) {
    if (p.committedOffset !== null) redrivenUpTo.set(p.partition, BigInt(p.committedOffset));
  }
  return readToEnd(
    bus,
    topic,
    (record) => onLetter(deadLetterStatus(record, redrivenUpTo.get(record.partition))),
    options,
  );
}

/** A letter's redrive status, given the offset the redrive group committed on its partition. */
export function deadLetterStatus(record: EventRecord, redrivenUpTo?: bigint): ReadDeadLetter {
  const refused = redriveRefusal(record);
  if (refused !== undefined) return { record, redriven: false, redriveRefused: refused };
  return {
    record,
    redriven: redrivenUpTo !== undefined && BigInt(record.offset) < redrivenUpTo,
  };
}
