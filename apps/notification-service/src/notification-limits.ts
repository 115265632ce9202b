import { UUID_PATTERN } from '@switchboard/contracts';

/**
 * The bounds the notification service and its fan-out follow. The request
 * field rules (page size, MarkRead's ids) are buf.validate annotations in
 * notification_service.proto.
 */
export const notificationLimits = {
  defaultPageSize: 20,
  /** Preview length in code points, ellipsis included. */
  previewMaxChars: 140,
  /** Open WatchNotifications streams of one user at one replica (tabs, devices). */
  maxWatchesPerUser: 16,
  /** Notifications queued for a watcher that does not read; past it the stream ends. */
  maxWatchQueue: 1_000,
  uuidPattern: UUID_PATTERN,
} as const;
