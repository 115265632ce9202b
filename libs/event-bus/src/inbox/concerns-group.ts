import { cloudEventHeaders } from '../cloudevents/cloud-event-headers';
import { REDRIVE_GROUP_HEADER } from '../dead-letters/dead-letter-headers';
import type { EventRecord } from '../event-record';

/**
 * Routing by header, before anything is decoded. A type this group does not
 * subscribe to (or one this build does not know yet, from a newer producer)
 * is none of its business, and must not be dead-lettered by every group on
 * the topic. A record redriven for another group is that group's second
 * chance: this group handled (or skipped) the original already, and must
 * not apply it again once its inbox row is gone.
 */
export function concernsGroup(
  record: EventRecord,
  groupId: string,
  handledTypes: ReadonlyMap<string, unknown>,
): boolean {
  const target = record.headers[REDRIVE_GROUP_HEADER];
  if (target && target !== groupId) return false;
  const type = record.headers[cloudEventHeaders.type];
  return !type || handledTypes.has(type);
}
