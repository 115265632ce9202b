import type { BatchControl, RecordBatch } from '../event-bus';
import type { EventRecord } from '../event-record';
import type { PartitionPacer } from './create-partition-pacer';
import type { RecordHandler } from './create-record-handler';
import type { RunApplier } from './create-run-applier';
import { takeRun, type RunRouting } from './take-run';

export interface BatchHandlerOptions {
  readonly routing: RunRouting;
  readonly maxRun: number;
  readonly commitIntervalMs: number;
  readonly pacer: PartitionPacer;
  readonly applyRun: RunApplier;
  readonly handleRecord: RecordHandler;
}

/**
 * One partition's batch, in offset order: runs of records share a
 * transaction; a run that fails falls back to one transaction per record.
 * Offsets are resolved as records settle and committed at least every
 * commitIntervalMs, and always when the batch ends.
 */
export function createBatchHandler(
  options: BatchHandlerOptions,
): (batch: RecordBatch, control: BatchControl) => Promise<void> {
  const { routing, maxRun, commitIntervalMs, pacer, applyRun, handleRecord } = options;

  /** Handles records[from, from + count) one transaction each; the index reached. */
  async function handleOneByOne(
    records: readonly EventRecord[],
    from: number,
    count: number,
    control: BatchControl,
  ): Promise<number> {
    for (let i = from; i < from + count; i++) {
      if (pacer.shouldStop(control)) return i;
      const outcome = await handleRecord(records[i]!, control);
      if (outcome === 'interrupted') return i;
      control.resolve(records[i]!.offset);
      await control.heartbeat();
    }
    return from + count;
  }

  return async (batch, control) => {
    let lastCommit = Date.now();
    const { records } = batch;
    // A record whose handler failed inside a run: the records before it are
    // handled again as a shorter run, then it goes alone, with that failure
    // counted as its first attempt so maxAttempts means what it says.
    let failed: { index: number; error: unknown } | undefined;
    try {
      let next = 0;
      while (next < records.length && !pacer.shouldStop(control)) {
        if (failed?.index === next) {
          const outcome = await handleRecord(records[next]!, control, failed.error);
          failed = undefined;
          if (outcome === 'interrupted') break;
          control.resolve(records[next]!.offset);
          next++;
        } else {
          const run = takeRun(records, next, failed ? failed.index - next : maxRun, routing);
          // A run of one gains nothing and would cost a second attempt on failure.
          const result = run.length > 1 ? await applyRun(run, control) : undefined;
          if (result?.done) {
            next += result.done;
            control.resolve(records[next - 1]!.offset);
          } else if (result?.failedAt !== undefined) {
            failed = { index: next + result.failedAt, error: result.error };
          } else {
            // An undecodable record (run.length 0), a single one, or a run
            // that failed outside any handler: one event per transaction.
            const count = Math.max(run.length, 1);
            const reached = await handleOneByOne(records, next, count, control);
            if (reached < next + count) break; // interrupted
            next = reached;
          }
        }
        if (Date.now() - lastCommit >= commitIntervalMs) {
          await control.commit();
          lastCommit = Date.now();
        }
        await control.heartbeat();
      }
    } catch (err) {
      // A rebalance or a lost broker: keep what was handled from being handled
      // (and skipped) again by the next owner, if the broker still takes it.
      await control.commit().catch(() => undefined);
      throw err;
    }
    await control.commit();
  };
}
