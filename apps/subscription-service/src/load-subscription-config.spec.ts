import { ConfigError } from '@switchboard/config';
import { DEVELOPMENT_SECRET_KEY, loadSubscriptionConfig } from './load-subscription-config';

function problems(env: Record<string, string>): string[] {
  try {
    loadSubscriptionConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadSubscriptionConfig', () => {
  it('defaults, in development, to the local RabbitMQ, the published key and no loopback sinks', () => {
    expect(loadSubscriptionConfig({ SWITCHBOARD_ENV: 'development' })).toMatchObject({
      service: 'subscription-service',
      port: 50057,
      metricsPort: 9469,
      queueUrl: 'amqp://127.0.0.1:5672',
      secretKey: DEVELOPMENT_SECRET_KEY,
      allowLoopbackSinks: false,
    });
  });

  it('outside development needs a queue and a key of its own, and refuses loopback sinks', () => {
    const found = problems({
      SUBSCRIPTION_SERVICE_SECRET: 'a-service-secret-of-our-own',
      DATABASE_URL: 'postgres://u:p@db.internal:5432/postgres',
      SUBSCRIPTION_SECRET_KEY: DEVELOPMENT_SECRET_KEY,
      SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
      TLS_CERT_FILE: '/dev/null',
      TLS_KEY_FILE: '/dev/null',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'QUEUE_URL: is required outside development (unset)',
        expect.stringMatching(/^SUBSCRIPTION_SECRET_KEY: is a value published in this repository/),
        expect.stringMatching(/^SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: may be on only in development/),
      ]),
    );
  });

  it('takes amqp and SQS queue URLs and refuses anything else', () => {
    const dev = { SWITCHBOARD_ENV: 'development' };
    expect(
      loadSubscriptionConfig({
        ...dev,
        QUEUE_URL: 'http://127.0.0.1:9324/000000000000/subscription-deliveries',
      }).queueUrl,
    ).toBe('http://127.0.0.1:9324/000000000000/subscription-deliveries');
    expect(problems({ ...dev, QUEUE_URL: 'redis://127.0.0.1:6379' })).toEqual([
      'QUEUE_URL: must start with amqp://, amqps://, http:// or https:// (SQS) (value hidden)',
    ]);
    expect(problems({ ...dev, SUBSCRIPTION_SECRET_KEY: 'short' })).toEqual([
      'SUBSCRIPTION_SECRET_KEY: must be at least 32 characters (value hidden)',
    ]);
  });

  it("keeps the matcher's attempts (SUBSCRIPTION_INBOX_MAX_ATTEMPTS) apart from the sink's", () => {
    const dev = { SWITCHBOARD_ENV: 'development' };
    expect(loadSubscriptionConfig(dev).inboxMaxAttempts).toBe(5);
    const config = loadSubscriptionConfig({
      ...dev,
      SUBSCRIPTION_INBOX_MAX_ATTEMPTS: '7',
      SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: '3',
    });
    expect([config.inboxMaxAttempts, config.delivery.maxAttempts]).toEqual([7, 3]);
    expect(problems({ ...dev, SUBSCRIPTION_INBOX_MAX_ATTEMPTS: '0' })).toEqual([
      expect.stringMatching(/^SUBSCRIPTION_INBOX_MAX_ATTEMPTS: /),
    ]);
  });
});
