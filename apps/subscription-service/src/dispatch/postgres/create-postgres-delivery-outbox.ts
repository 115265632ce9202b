import { sql, type Kysely } from '@switchboard/storage';
import type { SubscriptionDatabase } from '../../subscription-schema';
import type { DeliveryOutbox } from '../delivery-outbox';

/** The deliveries table as the dispatcher's outbox; claims by row lock, then by a timestamp. */
export function createPostgresDeliveryOutbox(db: Kysely<SubscriptionDatabase>): DeliveryOutbox {
  return {
    async claim(limit, claimMs) {
      // skip locked: two replicas claiming at once take different rows, and
      // nothing stays locked while the queue is called.
      const { rows } = await sql<{ delivery_id: string; job: unknown; seq: bigint }>`
        update deliveries d
           set claimed_until = now() + ${claimMs} * interval '1 millisecond'
          from (select seq from deliveries
                 where sent_at is null and (claimed_until is null or claimed_until < now())
                 order by seq
                 limit ${limit}
                 for update skip locked) c
         where d.seq = c.seq
        returning d.delivery_id, d.job, d.seq`.execute(db);
      // update … returning keeps no order: oldest first again.
      rows.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      return rows.map((r) => ({
        deliveryId: r.delivery_id,
        body: Buffer.from(JSON.stringify(r.job), 'utf8'),
      }));
    },

    async markSent(ids) {
      if (ids.length === 0) return;
      await db
        .updateTable('deliveries')
        .set({ sent_at: new Date(), claimed_until: null })
        .where('delivery_id', 'in', ids)
        .execute();
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db
        .updateTable('deliveries')
        .set({ claimed_until: null })
        .where('delivery_id', 'in', ids)
        .where('sent_at', 'is', null)
        .execute();
    },
  };
}
