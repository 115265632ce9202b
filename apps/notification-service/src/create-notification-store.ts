import { sql, type Kysely } from '@switchboard/storage';
import type { NotificationDatabase, NotificationRow } from './notification-schema';
import type { ListNotificationsQuery } from './validate-notification-requests';

export interface NotificationPage {
  rows: NotificationRow[];
  /** The seq to continue below, or undefined on the last page. */
  nextBeforeSeq?: bigint;
}

export interface NotificationStore {
  /** One recipient's notifications, newest first. */
  list(query: ListNotificationsQuery): Promise<NotificationPage>;
  /** Marks the recipient's own unread notifications among `ids` read; returns how many changed. */
  markRead(recipientId: string, ids: readonly string[]): Promise<number>;
  /** Rows by id, oldest first; for the live feed. */
  byIds(ids: readonly string[]): Promise<NotificationRow[]>;
  /** A recipient's rows after a seq, oldest first; for the live feed's catch-up. */
  after(recipientId: string, afterSeq: bigint, limit: number): Promise<NotificationRow[]>;
  /** The recipient's newest seq, 0 when none: where a new watcher starts. */
  latestSeq(recipientId: string): Promise<bigint>;
}

export function createNotificationStore(db: Kysely<NotificationDatabase>): NotificationStore {
  return {
    async list({ recipientId, pageSize, beforeSeq, unreadOnly }) {
      let query = db
        .selectFrom('notifications')
        .selectAll()
        .where('recipient_id', '=', recipientId)
        .orderBy('seq', 'desc')
        .limit(pageSize + 1);
      if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
      if (unreadOnly) query = query.where('read_at', 'is', null);
      const rows = await query.execute();
      const page = rows.slice(0, pageSize);
      const last = page.at(-1);
      return rows.length > pageSize && last !== undefined
        ? { rows: page, nextBeforeSeq: last.seq }
        : { rows: page };
    },

    async markRead(recipientId, ids) {
      if (ids.length === 0) return 0;
      // The recipient condition is the authorisation: someone else's id
      // matches no row, and counts as nothing, as the contract says.
      const result = await db
        .updateTable('notifications')
        .set({ read_at: sql<Date>`now()` })
        .where('recipient_id', '=', recipientId)
        .where('notification_id', 'in', ids)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async byIds(ids) {
      if (ids.length === 0) return [];
      return db
        .selectFrom('notifications')
        .selectAll()
        .where('notification_id', 'in', ids)
        .orderBy('seq')
        .execute();
    },

    async after(recipientId, afterSeq, limit) {
      return db
        .selectFrom('notifications')
        .selectAll()
        .where('recipient_id', '=', recipientId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
    },

    async latestSeq(recipientId) {
      const row = await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.max('seq').as('latest'))
        .where('recipient_id', '=', recipientId)
        .executeTakeFirst();
      return row?.latest ?? 0n;
    },
  };
}
