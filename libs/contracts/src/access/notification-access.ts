import type { NotificationService } from '../gen/switchboard/notification/v1/notification_service_pb';
import type { AccessPolicy } from './access-policy';

/** Every method acts on the caller's own notifications, so every method needs a token. */
export const notificationAccessPolicy: AccessPolicy<typeof NotificationService> = {
  listNotifications: 'authenticated',
  markRead: 'authenticated',
  watchNotifications: 'authenticated',
};
