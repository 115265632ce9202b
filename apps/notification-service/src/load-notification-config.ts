import { env, loadServiceConfig, type Env } from '@switchboard/config';

/** What the notification service reads on top of what every service reads. */
export function notificationConfigSchema() {
  return {
    /**
     * Followers per multi-row insert in a fan-out. Six parameters a row, and
     * PostgreSQL allows 65535 per statement: hence the ceiling.
     */
    fanOutBatchSize: env.int('NOTIFICATION_FANOUT_BATCH_SIZE', {
      default: 500,
      min: 1,
      max: 5_000,
    }),
    /** Deliveries of one consumed event before it goes to the dead-letter topic. */
    eventMaxAttempts: env.int('NOTIFICATION_EVENT_MAX_ATTEMPTS', { default: 5, min: 1, max: 100 }),
  };
}

export function loadNotificationConfig(source: Env = process.env) {
  return loadServiceConfig('notification', notificationConfigSchema(), source);
}

export type NotificationConfig = ReturnType<typeof loadNotificationConfig>;
