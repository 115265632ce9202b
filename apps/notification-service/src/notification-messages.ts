import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { NotificationSchema } from '@switchboard/contracts';
import type { NotificationRow } from './notification-schema';

export function notificationMessage(
  row: NotificationRow,
): MessageInitShape<typeof NotificationSchema> {
  return {
    notificationId: row.notification_id,
    postId: row.post_id,
    actorId: row.actor_id,
    preview: row.preview,
    createdAt: timestampFromDate(row.created_at),
    read: row.read_at !== null,
  };
}
