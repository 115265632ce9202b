import type { EachBatchPayload } from 'kafkajs';
import type { BatchControl } from '../event-bus';

/** The BatchControl of one kafkajs batch: what a batch handler may do with it. */
export function createBatchControl(payload: EachBatchPayload, ephemeral: boolean): BatchControl {
  const { topic, partition } = payload.batch;
  let resolved: bigint | undefined;
  let committed: bigint | undefined;
  return {
    resolve(offset) {
      payload.resolveOffset(offset);
      resolved = BigInt(offset);
    },
    async commit() {
      if (ephemeral || resolved === undefined || resolved === committed) return;
      const next = resolved;
      // The batch's own commit path: unlike consumer.commitOffsets it still
      // works while the consumer is stopping, which is when close() needs it.
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: (next + 1n).toString() }] }],
      });
      committed = next;
    },
    heartbeat: () => payload.heartbeat(),
    isRunning: () => payload.isRunning(),
    isStale: () => payload.isStale(),
  };
}
