import type { ListNotificationsRequest, MarkReadRequest } from '@switchboard/contracts';
import { createValidationError } from '@switchboard/errors';
import { notificationLimits as limits } from './notification-limits';
import { decodePageToken } from './page-token';

export interface ListNotificationsQuery {
  recipientId: string;
  pageSize: number;
  /** Continue below this sequence (newest first); undefined for the first page. */
  beforeSeq?: bigint;
  unreadOnly: boolean;
}

/**
 * The query as the store takes it. The field rules (page size, id count and
 * format) are buf.validate annotations in notification_service.proto, checked
 * before a handler runs; out-of-range page sizes are refused there rather
 * than clamped. Here 0 becomes the default, and the token its position.
 */
export function validateListNotifications(
  request: ListNotificationsRequest,
  recipientId: string,
): ListNotificationsQuery {
  const query: ListNotificationsQuery = {
    recipientId,
    pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize,
    unreadOnly: request.unreadOnly,
  };
  if (request.pageToken === '') return query;
  const beforeSeq = decodePageToken(request.pageToken);
  if (beforeSeq === undefined) {
    throw createValidationError([
      {
        field: 'page_token',
        description: 'is not a token from a previous ListNotifications response',
      },
    ]);
  }
  return { ...query, beforeSeq };
}

/**
 * The distinct ids, lower-cased. The contract refuses a malformed id rather
 * than ignoring it (a client bug), whereas a well-formed id of someone else's
 * notification is ignored as the contract says (and reveals nothing).
 */
export function distinctNotificationIds(request: MarkReadRequest): string[] {
  return [...new Set(request.notificationIds.map((id) => id.toLowerCase()))];
}
