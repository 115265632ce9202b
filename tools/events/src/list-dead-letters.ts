import {
  deadLetterHeaders,
  redriveRefusal,
  type EventBus,
  type EventRecord,
} from '@switchboard/event-bus';
import { readToEnd } from './read-to-end';
import { REDRIVE_GROUP } from './redrive-dead-letters';

export interface DeadLetterLine {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  ce_type: string | null;
  ce_id: string | null;
  /** Every dlq_* header, under its own name. */
  [dlqHeader: `dlq_${string}`]: string;
  /** Whether `dlq redrive` has already sent this letter back. */
  redriven: boolean;
  /** Why `dlq redrive` will never send this letter anywhere, if it will not. */
  redrive_refused?: string;
}

/** Prints every dead letter of a `.dlq` topic as one JSON line each; returns how many. */
export async function listDeadLetters(
  bus: EventBus,
  topic: string,
  print: (line: string) => Promise<void>,
): Promise<number> {
  // Where the redrive group stands tells which letters it has already sent.
  const redrivenUpTo = new Map<number, bigint>();
  for (const p of await bus.consumerLag(REDRIVE_GROUP, [topic])) {
    if (p.committedOffset !== null) redrivenUpTo.set(p.partition, BigInt(p.committedOffset));
  }
  return readToEnd(bus, topic, (record) =>
    print(JSON.stringify(formatDeadLetter(record, redrivenUpTo.get(record.partition)))),
  );
}

export function formatDeadLetter(record: EventRecord, redrivenUpTo?: bigint): DeadLetterLine {
  const line: DeadLetterLine = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    ce_type: record.headers.ce_type ?? null,
    ce_id: record.headers.ce_id ?? null,
    redriven: false,
  };
  const refused = redriveRefusal(record);
  if (refused === undefined) {
    line.redriven = redrivenUpTo !== undefined && BigInt(record.offset) < redrivenUpTo;
  } else {
    line.redrive_refused = refused;
  }
  // The known ones first, in a stable order, then any other dlq_ header.
  const names = [
    ...Object.values(deadLetterHeaders),
    ...Object.keys(record.headers).filter((n) => n.startsWith('dlq_')),
  ];
  for (const name of new Set(names)) {
    const value = record.headers[name];
    if (value !== undefined) line[name as `dlq_${string}`] = value;
  }
  return line;
}
