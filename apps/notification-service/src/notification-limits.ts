import { UUID_PATTERN, UUID_RULE } from '@switchboard/contracts';

/**
 * The rules the notification API and the fan-out follow, in one place so the
 * validators, the error messages and the tests agree.
 */
export const notificationLimits = {
  defaultPageSize: 20,
  maxPageSize: 100,
  /** MarkRead ids per call: a screenful or two, never "mark everything" by listing it. */
  maxMarkReadIds: 500,
  /** Preview length in code points, ellipsis included. */
  previewMaxChars: 140,
  /** Open WatchNotifications streams of one user at one replica (tabs, devices). */
  maxWatchesPerUser: 16,
  /** Notifications queued for a watcher that does not read; past it the stream ends. */
  maxWatchQueue: 1_000,
  uuidPattern: UUID_PATTERN,
  uuidRule: UUID_RULE,
} as const;
