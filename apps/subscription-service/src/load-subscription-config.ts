import { env, loadServiceConfig, type ConfigField, type Env } from '@switchboard/config';
import { deliveryConfig } from './delivery/delivery-config';

/** The published key `npm start` and the tests use; refused outside development. */
export const DEVELOPMENT_SECRET_KEY = 'dev-subscription-secret-key-published-in-this-repo';

/** `amqp://…`, `amqps://…` or an SQS queue URL (http/https); the backend follows from it. */
function queueUrl(name: string): ConfigField<string> {
  return {
    env: name,
    secret: true,
    parse(raw, context) {
      const value = raw?.trim() || (context.development ? 'amqp://127.0.0.1:5672' : undefined);
      if (value === undefined) throw new Error('is required outside development');
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new Error('must be a URL: amqp://host:port or an SQS queue URL');
      }
      if (!['amqp:', 'amqps:', 'http:', 'https:'].includes(url.protocol)) {
        throw new Error('must start with amqp://, amqps://, http:// or https:// (SQS)');
      }
      return value;
    },
  };
}

/**
 * Off unless set: a sink on loopback or a private network reaches our own
 * machines, which is what SSRF protection is for. Tests and a local
 * walkthrough turn it on; outside development it may not be.
 */
function allowLoopbackSinks(name: string): ConfigField<boolean> {
  const flag = env.flag(name, { default: false });
  return {
    env: name,
    parse(raw, context) {
      const value = flag.parse(raw, context);
      if (value && !context.development) {
        throw new Error('may be on only in development (SWITCHBOARD_ENV=development)');
      }
      return value;
    },
  };
}

const subscriptionSchema = {
  /** Where delivery jobs go, and where the workers take them from. */
  queueUrl: queueUrl('QUEUE_URL'),
  /** Seals the signing secrets in the database (AES-256-GCM, key from scrypt). */
  secretKey: env.credential('SUBSCRIPTION_SECRET_KEY', {
    developmentDefault: DEVELOPMENT_SECRET_KEY,
    minLength: 32,
  }),
  allowLoopbackSinks: allowLoopbackSinks('SUBSCRIPTION_ALLOW_LOOPBACK_SINKS'),
  /** Sent as WebHook-Request-Origin in the abuse-protection handshake. */
  origin: env.string('SUBSCRIPTION_ORIGIN', { default: 'switchboard.local' }),
  /** How long a sink may take to answer the handshake. */
  handshakeTimeoutMs: env.int('SUBSCRIPTION_HANDSHAKE_TIMEOUT_MS', {
    default: 5_000,
    min: 100,
    max: 60_000,
  }),
  /**
   * Tries of the matcher (the inbox consumer) on one Kafka event before it
   * goes to the dead-letter topic; not the sink's, which are
   * SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS.
   */
  inboxMaxAttempts: env.int('SUBSCRIPTION_INBOX_MAX_ATTEMPTS', { default: 5, min: 1, max: 100 }),
  /** How often the dispatcher looks for unsent deliveries when no commit woke it. */
  dispatchPollMs: env.int('SUBSCRIPTION_DISPATCH_POLL_MS', {
    default: 5_000,
    min: 10,
    max: 600_000,
  }),
  /** How long delivered and dead-lettered deliveries stay listed; pending ones stay until done. */
  /** The delivery workers: SUBSCRIPTION_WORKERS and SUBSCRIPTION_DELIVERY_*. */
  delivery: deliveryConfig(),
  deliveryRetentionHours: env.int('SUBSCRIPTION_DELIVERY_RETENTION_HOURS', {
    default: 7 * 24,
    min: 1,
    max: 24 * 365,
  }),
};

export function loadSubscriptionConfig(source: Env = process.env) {
  return loadServiceConfig('subscription', subscriptionSchema, source);
}

export type SubscriptionConfig = ReturnType<typeof loadSubscriptionConfig>;
