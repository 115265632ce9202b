import { isIP } from 'node:net';
import {
  env,
  loadServiceConfig,
  serviceSecret,
  services,
  type ConfigField,
  type Env,
} from '@switchboard/config';
import {
  isEmailAddress,
  normaliseEmail,
  PASSWORD_MAX,
  PASSWORD_MIN,
} from './validate-registration';

function password(name: string, developmentDefault: string): ConfigField<string> {
  const field = env.credential(name, { developmentDefault });
  return {
    ...field,
    parse(raw, context) {
      const value = field.parse(raw, context);
      const length = [...value].length;
      // The seeded admin obeys the same rule as everyone else; a weak one must stop the start.
      if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
        throw new Error(`must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
      }
      return value;
    },
  };
}

function email(name: string, defaultValue: string): ConfigField<string> {
  return {
    env: name,
    parse(raw) {
      const value = normaliseEmail(raw ?? defaultValue);
      if (!isEmailAddress(value)) throw new Error('must be an email address like name@example.com');
      return value;
    },
  };
}

function ipList(name: string): ConfigField<string[]> {
  const field = env.list(name, { default: [] });
  return {
    ...field,
    parse(raw, context) {
      const list = field.parse(raw, context);
      const bad = list.filter((a) => isIP(a) === 0);
      if (bad.length > 0) throw new Error(`must be IP addresses; not: ${bad.join(', ')}`);
      return list;
    },
  };
}

/** What the auth service reads on top of what every service reads. */
export function authConfigSchema() {
  return {
    adminEmail: email('ADMIN_EMAIL', 'admin@switchboard.local'),
    adminPassword: password('ADMIN_PASSWORD', 'switchboard-admin'),
    // The credential each service exchanges for its service token (IssueServiceToken).
    inventorySecret: serviceSecret('inventory'),
    orderSecret: serviceSecret('order'),
    postSecret: serviceSecret('post'),
    notificationSecret: serviceSecret('notification'),
    reportingSecret: serviceSecret('reporting'),
    subscriptionSecret: serviceSecret('subscription'),
    seedDemoData: env.developmentOnlyFlag('SEED_DEMO_DATA'),
    tokenTtlSeconds: env.int('AUTH_TOKEN_TTL_SECONDS', { default: 900, min: 30, max: 86_400 }),
    issuer: env.string('AUTH_ISSUER', { default: 'switchboard-auth' }),
    audience: env.string('AUTH_AUDIENCE', { default: 'switchboard' }),
    /**
     * On by default: a key that signs for ever is a key whose leak lasts for
     * ever. 0 turns periodic rotation off (RevokeSigningKey still rotates).
     */
    keyRotationHours: env.int('AUTH_KEY_ROTATION_HOURS', { default: 24, min: 0, max: 24 * 365 }),
    /** Seals the signing keys' private halves in the database (key-encryption.ts). */
    keyEncryptionKey: env.credential('AUTH_KEY_ENCRYPTION_KEY', {
      developmentDefault: 'dev-auth-key-encryption-key-published-in-this-repo',
      minLength: 32,
    }),
    /**
     * The addresses of proxies in front of auth (the edge gateway) whose
     * x-forwarded-for is believed, so Login and Register budgets count the
     * real client rather than the proxy. Empty: every peer is the client.
     */
    trustedProxies: ipList('AUTH_TRUSTED_PROXIES'),
    /** Set while changing AUTH_KEY_ENCRYPTION_KEY: keys sealed with it are sealed again at start. */
    previousKeyEncryptionKey: env.secret(env.optionalString('AUTH_KEY_ENCRYPTION_KEY_PREVIOUS')),
  };
}

export function loadAuthConfig(source: Env = process.env) {
  const config = loadServiceConfig('auth', authConfigSchema(), source);
  const serviceClients: ReadonlyMap<string, string> = new Map([
    [services.inventory.name, config.inventorySecret],
    [services.order.name, config.orderSecret],
    [services.post.name, config.postSecret],
    [services.notification.name, config.notificationSecret],
    [services.reporting.name, config.reportingSecret],
    [services.subscription.name, config.subscriptionSecret],
  ]);
  return Object.freeze({ ...config, serviceClients });
}

export type AuthConfig = ReturnType<typeof loadAuthConfig>;
