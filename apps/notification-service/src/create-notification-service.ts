import type { NotificationService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { CallContext, ServiceImpl } from '@switchboard/rpc';
import type { NotificationFeed } from './create-notification-feed';
import type { NotificationStore } from './create-notification-store';
import { notificationMessage } from './notification-messages';
import { encodePageToken } from './page-token';
import {
  distinctNotificationIds,
  validateListNotifications,
} from './validate-notification-requests';

export { notificationAccessPolicy } from '@switchboard/contracts';

export interface NotificationServiceDeps {
  store: NotificationStore;
  feed: NotificationFeed;
}

function callerIdOf(ctx: CallContext): string {
  // The access policy guarantees a caller; this only guards a policy edited to 'public'.
  if (ctx.caller === undefined) {
    throw new DomainError('UNAUTHENTICATED', `${ctx.method} needs a bearer token`);
  }
  return ctx.caller.userId.toLowerCase();
}

/**
 * The gRPC face of notifications. The recipient is always the caller: no
 * request names a user, so nobody can read or mark another's notifications.
 */
export function createNotificationService(
  deps: NotificationServiceDeps,
): ServiceImpl<typeof NotificationService> {
  const { store, feed } = deps;
  return {
    async listNotifications(request, ctx) {
      const page = await store.list(validateListNotifications(request, callerIdOf(ctx)));
      return {
        notifications: page.rows.map(notificationMessage),
        nextPageToken: page.nextBeforeSeq === undefined ? '' : encodePageToken(page.nextBeforeSeq),
      };
    },

    async markRead(request, ctx) {
      const ids = distinctNotificationIds(request);
      return { updatedCount: await store.markRead(callerIdOf(ctx), ids) };
    },

    /**
     * Live only: what is committed after the call starts, nothing before. A
     * client that reconnects calls Watch again and, for the gap, lists
     * (ListNotifications with unread_only) rather than have Watch replay.
     */
    async *watchNotifications(_request, ctx) {
      const recipientId = callerIdOf(ctx);
      for await (const row of feed.watch(recipientId, ctx.signal)) {
        yield { notification: notificationMessage(row) };
      }
    },
  };
}
