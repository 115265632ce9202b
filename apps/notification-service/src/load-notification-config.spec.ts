import { ConfigError } from '@switchboard/config';
import { loadNotificationConfig } from './load-notification-config';

describe('loadNotificationConfig', () => {
  it('defaults to port 50055, fan-out batches of 500 and five attempts per event', () => {
    expect(loadNotificationConfig({ SWITCHBOARD_ENV: 'development' })).toMatchObject({
      service: 'notification-service',
      key: 'notification',
      port: 50055,
      fanOutBatchSize: 500,
      eventMaxAttempts: 5,
    });
  });

  it('reads its variables and refuses a batch the database could not take', () => {
    expect(
      loadNotificationConfig({
        SWITCHBOARD_ENV: 'development',
        NOTIFICATION_FANOUT_BATCH_SIZE: '1000',
        NOTIFICATION_EVENT_MAX_ATTEMPTS: '3',
      }),
    ).toMatchObject({ fanOutBatchSize: 1000, eventMaxAttempts: 3 });
    let caught: unknown;
    try {
      loadNotificationConfig({
        SWITCHBOARD_ENV: 'development',
        NOTIFICATION_FANOUT_BATCH_SIZE: '20000',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.join('\n')).toContain(
      'NOTIFICATION_FANOUT_BATCH_SIZE: must be between 1 and 5000',
    );
  });
});
