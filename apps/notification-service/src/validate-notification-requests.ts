import type { ListNotificationsRequest, MarkReadRequest } from '@switchboard/contracts';
import { createValidationError, type FieldViolation } from '@switchboard/errors';
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
 * Out-of-range page sizes are rejected rather than clamped: a caller asking
 * for 500 who silently gets 100 may take the short page for the end.
 */
export function validateListNotifications(
  request: ListNotificationsRequest,
  recipientId: string,
): ListNotificationsQuery {
  const violations: FieldViolation[] = [];
  if (request.pageSize < 0 || request.pageSize > limits.maxPageSize) {
    violations.push({
      field: 'page_size',
      description: `must be between 1 and ${limits.maxPageSize}, or 0 for the default of ${limits.defaultPageSize}`,
    });
  }
  let beforeSeq: bigint | undefined;
  if (request.pageToken !== '') {
    beforeSeq = decodePageToken(request.pageToken);
    if (beforeSeq === undefined) {
      violations.push({
        field: 'page_token',
        description: 'is not a token from a previous ListNotifications response',
      });
    }
  }
  if (violations.length > 0) throw createValidationError(violations);
  const query: ListNotificationsQuery = {
    recipientId,
    pageSize: request.pageSize === 0 ? limits.defaultPageSize : request.pageSize,
    unreadOnly: request.unreadOnly,
  };
  if (beforeSeq !== undefined) query.beforeSeq = beforeSeq;
  return query;
}

/**
 * The distinct ids, lower-cased. A malformed id is refused rather than
 * ignored: it is a client bug, whereas a well-formed id of someone else's
 * notification is ignored as the contract says (and reveals nothing).
 */
export function validateMarkRead(request: MarkReadRequest): string[] {
  const violations: FieldViolation[] = [];
  const ids = request.notificationIds;
  if (ids.length === 0) {
    violations.push({ field: 'notification_ids', description: 'must list at least one id' });
  } else if (ids.length > limits.maxMarkReadIds) {
    violations.push({
      field: 'notification_ids',
      description: `must list at most ${limits.maxMarkReadIds} ids (got ${ids.length})`,
    });
  } else {
    ids.forEach((id, i) => {
      if (!limits.uuidPattern.test(id)) {
        violations.push({ field: `notification_ids[${i}]`, description: limits.uuidRule });
      }
    });
  }
  if (violations.length > 0) throw createValidationError(violations);
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}
