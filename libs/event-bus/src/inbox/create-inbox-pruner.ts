import type { Logger } from '@switchboard/logger';
import { sql, type Storage } from '@switchboard/storage';
import { createPeriodicTask } from '@switchboard/timing';
import type { InboxDatabase } from './inbox-migrations';

/** Deletes inbox rows past their retention, now and then; replicas doing it at once is harmless. */
export interface InboxPruner {
  /** Prunes once now, then every min(retention, 10 minutes). */
  start(): void;
  stop(): void;
}

export interface InboxPrunerOptions<DB extends InboxDatabase> {
  readonly storage: Storage<DB>;
  readonly log: Logger;
  readonly retentionMs: number;
}

export function createInboxPruner<DB extends InboxDatabase>({
  storage,
  log,
  retentionMs,
}: InboxPrunerOptions<DB>): InboxPruner {
  const task = createPeriodicTask({
    intervalMs: Math.min(retentionMs, 10 * 60_000),
    runAtStart: true,
    async run() {
      const cutoff = new Date(Date.now() - retentionMs);
      const result = await sql`delete from inbox where processed_at < ${cutoff}`.execute(
        storage.db,
      );
      const pruned = Number(result.numAffectedRows ?? 0n);
      if (pruned > 0) log.info({ pruned }, 'pruned old inbox rows');
    },
    onError: (err) => log.warn({ err }, 'inbox pruning failed; will try again'),
  });

  return {
    start: () => task.start(),
    stop() {
      // Not awaited, as before: a delete in flight finishes on its own; no round follows.
      void task.close();
    },
  };
}
