import {
  deadLetterHeaders,
  fromDeadLetter,
  redriveRefusal,
  type EventBus,
  type EventRecord,
  type OutgoingRecord,
} from '@switchboard/event-bus';

/** The consumer group whose committed offsets on a `.dlq` topic mark what was redriven. */
export const REDRIVE_GROUP = 'switchboard-dlq-redrive';

/** A dead letter that redrive refused: never produced anywhere. */
export interface SkippedDeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
}

export interface RedriveSummary {
  /** Dead letters republished, in total. */
  readonly redriven: number;
  /** Republished per target consumer group; '' for letters that name no group. */
  readonly byGroup: ReadonlyMap<string, number>;
  readonly skipped: readonly SkippedDeadLetter[];
}

/**
 * Republishes the dead letters of a `.dlq` topic that the redrive group has
 * not committed past, each to the topic that `.dlq` belongs to, with its
 * original key, value and headers (minus dlq_*) and addressed to the consumer
 * group that gave up on it (see fromDeadLetter), and commits after the broker
 * acknowledged them. A letter that names another original topic is skipped
 * and reported, never produced: the redrive group still commits past it, so
 * it is reported once. Letters that arrive while it runs (a redriven event
 * failing again, say) are left for the next redrive, so one run always ends.
 *
 * A crash between publish and commit sends those letters again on the next
 * run, under the same ce_id, which inbox consumers skip as duplicates.
 */
export async function redriveDeadLetters(bus: EventBus, topic: string): Promise<RedriveSummary> {
  const ends = new Map<number, bigint>();
  for (const end of await bus.topicOffsets(topic)) ends.set(end.partition, BigInt(end.high));
  // Judged from the group's committed offsets, not from what this run saw, so
  // it also ends correctly if another redrive of the same topic runs at once.
  const caughtUp = async () =>
    (await bus.consumerLag(REDRIVE_GROUP, [topic])).every(
      (p) => BigInt(p.committedOffset ?? p.lowWatermark) >= (ends.get(p.partition) ?? 0n),
    );
  const byGroup = new Map<string, number>();
  const skipped: SkippedDeadLetter[] = [];
  let redriven = 0;
  if (await caughtUp()) return { redriven, byGroup, skipped };

  const producer = bus.createProducer();
  const consumer = bus.createConsumer({
    kind: 'batch',
    groupId: REDRIVE_GROUP,
    topics: [topic],
    fromBeginning: true,
    onBatch: async (batch, control) => {
      const end = ends.get(batch.partition) ?? 0n;
      const due = batch.records.filter((r) => BigInt(r.offset) < end);
      if (due.length === 0 || !control.isRunning() || control.isStale()) return;
      const send: { letter: EventRecord; record: OutgoingRecord }[] = [];
      const refused: SkippedDeadLetter[] = [];
      for (const letter of due) {
        const reason = redriveRefusal(letter);
        if (reason === undefined) send.push({ letter, record: fromDeadLetter(letter) });
        else refused.push({ partition: letter.partition, offset: letter.offset, reason });
      }
      await producer.publishRaw(send.map((s) => s.record));
      // Counted only once acknowledged: a batch that fails is fetched again.
      for (const { letter } of send) {
        const group = letter.headers[deadLetterHeaders.consumerGroup] ?? '';
        byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
      }
      redriven += send.length;
      skipped.push(...refused);
      control.resolve(due.at(-1)!.offset);
      await control.commit();
    },
  });
  await consumer.start();
  try {
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, 250));
  } finally {
    await consumer.stop();
    await producer.close();
  }
  return { redriven, byGroup, skipped };
}

/**
 * The summary as lines for a person: the count first (the line scripts
 * read), then per target group, then each letter that was skipped and why.
 */
export function formatRedriveSummary(topic: string, summary: RedriveSummary): string[] {
  const letters = (n: number) => `${n} dead letter${n === 1 ? '' : 's'}`;
  const lines = [`redrove ${letters(summary.redriven)} from ${topic}`];
  for (const [group, count] of [...summary.byGroup].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      group === ''
        ? `  ${count} for every consumer group (no ${deadLetterHeaders.consumerGroup} header)`
        : `  ${count} for consumer group ${group} only`,
    );
  }
  if (summary.skipped.length > 0) {
    lines.push(`skipped ${letters(summary.skipped.length)} of ${topic}, never produced:`);
    for (const s of summary.skipped) {
      lines.push(`  partition ${s.partition} offset ${s.offset}: ${s.reason}`);
    }
  }
  return lines;
}
