import {
  deadLetterHeaders,
  readDeadLetters,
  type EventBus,
  type ReadDeadLetter,
} from '@switchboard/event-bus';

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
export function listDeadLetters(
  bus: EventBus,
  topic: string,
  print: (line: string) => Promise<void>,
): Promise<number> {
  return readDeadLetters(bus, topic, (letter) => print(JSON.stringify(formatDeadLetter(letter))), {
    groupPrefix: 'events-cli-read',
  });
}

export function formatDeadLetter({
  record,
  redriven,
  redriveRefused,
}: ReadDeadLetter): DeadLetterLine {
  const line: DeadLetterLine = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    ce_type: record.headers.ce_type ?? null,
    ce_id: record.headers.ce_id ?? null,
    redriven,
  };
  if (redriveRefused !== undefined) line.redrive_refused = redriveRefused;
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
