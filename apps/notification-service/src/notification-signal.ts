import { sql, type Kysely } from '@switchboard/storage';
import { notificationLimits } from './notification-limits';

/**
 * The LISTEN/NOTIFY channel that tells every replica about new notifications.
 * A NOTIFY sent inside the writing transaction is delivered on commit, to
 * every replica listening on the same database, and never on rollback: so a
 * watcher at any replica hears of exactly the committed notifications.
 */
export const NOTIFICATION_CHANNEL = 'switchboard_notifications';

/** PostgreSQL refuses payloads of 8000 bytes or more; keep clear of it. */
export const MAX_SIGNAL_BYTES = 7_900;

export interface NewNotification {
  recipientId: string;
  notificationId: string;
}

/**
 * Payloads for a set of new notifications: JSON arrays of
 * [recipient, notification] id pairs, split so each stays under
 * MAX_SIGNAL_BYTES. Ids are ASCII, so string length is byte length. A replica
 * only reads the rows of recipients it has watchers for, by primary key.
 */
export function encodeSignals(
  items: readonly NewNotification[],
  maxBytes: number = MAX_SIGNAL_BYTES,
): string[] {
  const payloads: string[] = [];
  let current: string[] = [];
  let size = 2; // the brackets
  for (const item of items) {
    const pair = JSON.stringify([item.recipientId, item.notificationId]);
    const extra = pair.length + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + extra > maxBytes) {
      payloads.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(pair);
    size += pair.length + (current.length > 1 ? 1 : 0);
  }
  if (current.length > 0) payloads.push(`[${current.join(',')}]`);
  return payloads;
}

const UUID = notificationLimits.uuidPattern;

/** The pairs of a payload; anything malformed (another writer's bug) yields none rather than throwing in the listener. */
export function decodeSignal(payload: string): NewNotification[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const items: NewNotification[] = [];
  for (const entry of parsed) {
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [recipientId, notificationId] = entry as unknown[];
    if (typeof recipientId !== 'string' || typeof notificationId !== 'string') continue;
    if (!UUID.test(recipientId) || !UUID.test(notificationId)) continue;
    items.push({ recipientId: recipientId.toLowerCase(), notificationId });
  }
  return items;
}

/** Queues the signals in the caller's transaction: one round trip, delivered on commit. */
export async function signalNewNotifications<DB>(
  trx: Kysely<DB>,
  items: readonly NewNotification[],
): Promise<void> {
  const payloads = encodeSignals(items);
  if (payloads.length === 0) return;
  await sql`
    select pg_notify(${NOTIFICATION_CHANNEL}, payload)
    from unnest(${payloads}::text[]) as payload`.execute(trx);
}
