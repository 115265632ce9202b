import type { Logger } from '@switchboard/logger';
import { sql, type Storage, type Transaction } from '@switchboard/storage';
import type { DecodedEvent } from '../cloudevents/decode-event';
import type { InboxDatabase } from './inbox-migrations';
import type { Subscription } from './on';
import { runAfterCommit } from './run-after-commit';

/**
 * One event in one transaction: its inbox row, then its handler, unless the
 * row was there already (a duplicate). afterCommit callbacks run once it committed.
 */
export async function applyOnce<DB extends InboxDatabase>(
  storage: Storage<DB>,
  event: DecodedEvent,
  subscription: Subscription<DB>,
  eventLog: Logger,
): Promise<'handled' | 'duplicate'> {
  const callbacks: (() => void)[] = [];
  const { record } = event;
  const outcome = await storage.db.transaction().execute(async (trx: Transaction<DB>) => {
    // Waits on a concurrent insert of the same id (a rebalance overlap) and
    // then sees its outcome: the loser of that race skips.
    const inserted = await sql<{ event_id: string }>`
      insert into inbox (event_id, type, topic, partition, "offset")
      values (${event.id}, ${event.type}, ${record.topic}, ${record.partition}, ${BigInt(record.offset)})
      on conflict (event_id) do nothing
      returning event_id`.execute(trx);
    if (inserted.rows.length === 0) return 'duplicate' as const;
    await subscription.handle(event.message, {
      trx,
      event,
      logger: eventLog,
      afterCommit: (fn) => {
        callbacks.push(fn);
      },
    });
    return 'handled' as const;
  });
  for (const fn of callbacks) runAfterCommit(fn, eventLog);
  return outcome;
}
