import type { EventBus } from '../event-bus';
import type { EventRecord, OutgoingRecord } from '../event-record';
import { deadLetterHeaders } from './dead-letter-headers';
import { fromDeadLetter } from './from-dead-letter';
import { redriveRefusal } from './redrive-refusal';
import type { RedriveSummary, SkippedDeadLetter } from './redrive-summary';

/** The consumer group whose committed offsets on a `.dlq` topic mark what was redriven. */
export const REDRIVE_CONSUMER_GROUP = 'switchboard-dlq-redrive';

/** How often a redrive checks whether its group has committed up to the end it set out for. */
const CAUGHT_UP_POLL_MS = 250;

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
    (await bus.consumerLag(REDRIVE_CONSUMER_GROUP, [topic])).every(
      (p) => BigInt(p.committedOffset ?? p.lowWatermark) >= (ends.get(p.partition) ?? 0n),
    );
  const byGroup = new Map<string, number>();
  const skipped: SkippedDeadLetter[] = [];
  let redriven = 0;
  if (await caughtUp()) return { redriven, byGroup, skipped };

  const producer = bus.createProducer();
  const consumer = bus.createConsumer({
    kind: 'batch',
    groupId: REDRIVE_CONSUMER_GROUP,
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
        else
          refused.push({
            partition: letter.partition,
            offset: letter.offset,
            reason,
            record: letter,
          });
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
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, CAUGHT_UP_POLL_MS));
  } finally {
    await consumer.stop();
    await producer.close();
  }
  return { redriven, byGroup, skipped };
}
