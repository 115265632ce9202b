import type { BatchControl } from '../event-bus';

/** When work on a partition's batch must stop, and how it waits without losing the partition. */
export interface PartitionPacer {
  /** The consumer is closing, or kafkajs stopped the batch or took the partition away. */
  shouldStop(control: BatchControl): boolean;
  /**
   * Sleeps in short slices, heartbeating so a long wait does not cost the
   * group membership; false as soon as the consumer should stop instead.
   */
  pause(ms: number, control: BatchControl): Promise<boolean>;
}

export function createPartitionPacer(isClosing: () => boolean): PartitionPacer {
  const shouldStop = (control: BatchControl) =>
    isClosing() || !control.isRunning() || control.isStale();
  return {
    shouldStop,
    // Not timing's sleep: the wait has to heartbeat every slice and end as soon
    // as kafkajs stops the batch or revokes the partition, which is state it
    // polls, not a signal one timer or AbortSignal could carry.
    async pause(ms, control) {
      const until = Date.now() + ms;
      for (;;) {
        if (shouldStop(control)) return false;
        const left = until - Date.now();
        if (left <= 0) return true;
        await new Promise((r) => setTimeout(r, Math.min(left, 200)));
        await control.heartbeat();
      }
    },
  };
}
