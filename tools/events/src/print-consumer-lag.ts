import type { EventBus } from '@switchboard/event-bus';
import { CliError } from '@switchboard/cli';

/** One JSON line per topic-partition the group committed on, then one with the total. */
export async function printConsumerLag(
  bus: EventBus,
  groupId: string,
  print: (line: string) => Promise<void>,
): Promise<number> {
  const partitions = await bus.consumerLag(groupId);
  if (partitions.length === 0) {
    throw new CliError(`consumer group ${groupId} has no committed offsets`);
  }
  let total = 0;
  for (const p of partitions) {
    total += p.lag;
    await print(
      JSON.stringify({
        topic: p.topic,
        partition: p.partition,
        committed: p.committedOffset,
        high: p.highWatermark,
        lag: p.lag,
      }),
    );
  }
  await print(JSON.stringify({ group: groupId, total }));
  return total;
}
