import { ConfigError, loadConfig } from '@switchboard/config';
import { deliveryConfig } from './delivery-config';

const load = (env: Record<string, string>) =>
  loadConfig('subscription-service', { delivery: deliveryConfig() }, env).delivery;

describe('deliveryConfig', () => {
  it('defaults to 4 workers, 10 s, 8 attempts and a 1 s to 5 min back-off with full jitter', () => {
    expect(load({})).toEqual({
      workers: 4,
      timeoutMs: 10_000,
      maxAttempts: 8,
      backoff: { initialMs: 1_000, maxMs: 300_000, jitter: 'full' },
      retryAfterMaxMs: 900_000,
      visibilityTimeoutSeconds: 30,
    });
    expect(Object.isFrozen(load({}))).toBe(true);
  });

  it('reads SUBSCRIPTION_WORKERS and the SUBSCRIPTION_DELIVERY_ variables', () => {
    expect(
      load({
        SUBSCRIPTION_WORKERS: '8',
        SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '2000',
        SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: '3',
        SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: '100',
        SUBSCRIPTION_DELIVERY_RETRY_MAX_MS: '1000',
        SUBSCRIPTION_DELIVERY_RETRY_AFTER_MAX_MS: '5000',
        SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '7',
      }),
    ).toEqual({
      workers: 8,
      timeoutMs: 2_000,
      maxAttempts: 3,
      backoff: { initialMs: 100, maxMs: 1_000, jitter: 'full' },
      retryAfterMaxMs: 5_000,
      visibilityTimeoutSeconds: 7,
    });
  });

  it('refuses a visibility timeout that a slow sink could outlast (SQS would hand the job to a second worker)', () => {
    expect(() =>
      load({
        SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '10000',
        SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '14',
      }),
    ).toThrow(
      'SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS: must exceed SUBSCRIPTION_DELIVERY_TIMEOUT_MS by 5 s (14 s for a 10000 ms timeout)',
    );
    expect(
      load({
        SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '10000',
        SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '15',
      }).visibilityTimeoutSeconds,
    ).toBe(15);
    // Unset, it follows a long delivery timeout.
    expect(load({ SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '120000' }).visibilityTimeoutSeconds).toBe(125);
  });

  it('names every bad variable', () => {
    let caught: unknown;
    try {
      load({
        SUBSCRIPTION_WORKERS: '0',
        SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: 'many',
        SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: '5000',
        SUBSCRIPTION_DELIVERY_RETRY_MAX_MS: '1000',
        SUBSCRIPTION_DELIVERY_RETRY_AFTER_MAX_MS: '3600000',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'SUBSCRIPTION_WORKERS: must be between 1 and 256 (got "0")',
      'SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: must be a whole number (got "many")',
      'SUBSCRIPTION_DELIVERY_RETRY_AFTER_MAX_MS: must be between 0 and 900000 (got "3600000")',
      'SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: must not exceed SUBSCRIPTION_DELIVERY_RETRY_MAX_MS (5000 > 1000)',
    ]);
  });
});
