import { createHash } from 'node:crypto';

/**
 * Namespace of notification ids (a fixed random UUID). Changing it would give
 * a replayed event new ids, and so duplicate notifications: never change it.
 */
export const NOTIFICATION_ID_NAMESPACE = '4f6d1b2e-8c0a-4e57-9a43-2b1f7e5c9d60';

/** RFC 9562 UUID version 5: SHA-1 of namespace bytes + name, with version and variant bits set. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the notification an event gives one recipient. Derived, not
 * random, so handling the same event twice (a redelivery the inbox did not
 * catch, a restore and replay) produces the same ids, which the primary key
 * then refuses: no duplicates, and ids a client saw stay valid.
 */
export function notificationIdFor(eventId: string, recipientId: string): string {
  return uuidV5(NOTIFICATION_ID_NAMESPACE, `${eventId}/${recipientId.toLowerCase()}`);
}
