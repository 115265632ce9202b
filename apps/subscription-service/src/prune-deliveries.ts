import { sql, type Kysely } from '@switchboard/storage';
import type { SubscriptionDatabase } from './subscription-schema';

/**
 * Deletes up to `limit` finished deliveries (delivered or dead-lettered)
 * last updated before `before`, oldest first; returns how many went.
 * ListDeliveries shows recent history, not an archive, and a busy system
 * would otherwise grow the table for ever. Pending rows are never touched:
 * they are work still to do.
 */
export async function pruneDeliveries(
  db: Kysely<SubscriptionDatabase>,
  before: Date,
  limit: number,
): Promise<number> {
  const result = await sql`
    delete from deliveries
     where seq in (select seq from deliveries
                    where status <> 'pending' and updated_at < ${before}
                    order by seq
                    limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
