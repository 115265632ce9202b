import { ConfigError, publishedSecrets } from '@switchboard/config';
import { loadAuthConfig } from './load-auth-config';

const development = { SWITCHBOARD_ENV: 'development' };

/** Every secret set to a value of our own, as production needs. */
const productionSecrets = {
  DATABASE_URL: 'postgres://auth:a-db-password@db.internal:5432/postgres',
  ADMIN_PASSWORD: 'a-much-better-secret',
  INVENTORY_SERVICE_SECRET: 'inventory-secret-of-ours',
  ORDER_SERVICE_SECRET: 'order-secret-of-ours',
  POST_SERVICE_SECRET: 'post-secret-of-ours',
  NOTIFICATION_SERVICE_SECRET: 'notification-secret-of-ours',
  REPORTING_SERVICE_SECRET: 'reporting-secret-of-ours',
  SUBSCRIPTION_SERVICE_SECRET: 'subscription-secret-of-ours',
  // Or TLS_CERT_FILE and TLS_KEY_FILE: production needs one or the other.
  GRPC_PLAINTEXT: 'true',
  AUTH_KEY_ENCRYPTION_KEY: 'a-key-encryption-key-of-our-own-32+',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadAuthConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('loadAuthConfig', () => {
  it('has working defaults in development', () => {
    const config = loadAuthConfig(development);
    expect(config.serviceClients.get('order-service')).toBe('dev-order-service-secret');
    expect(config).toMatchObject({
      development: true,
      service: 'auth-service',
      port: 50051,
      adminEmail: 'admin@switchboard.local',
      adminPassword: 'switchboard-admin',
      seedDemoData: true,
      tokenTtlSeconds: 900,
      issuer: 'switchboard-auth',
      audience: 'switchboard',
      keyRotationHours: 24,
    });
    // The development key is published, so production refuses it.
    expect(publishedSecrets).toContain(config.keyEncryptionKey);
  });

  it('reads every auth variable', () => {
    expect(
      loadAuthConfig({
        ...development,
        ADMIN_EMAIL: 'Root@Example.com',
        ADMIN_PASSWORD: 'a-much-better-secret',
        SEED_DEMO_DATA: 'false',
        AUTH_TOKEN_TTL_SECONDS: '300',
        AUTH_ISSUER: 'iss',
        AUTH_AUDIENCE: 'aud',
        AUTH_KEY_ROTATION_HOURS: '0',
        AUTH_KEY_ENCRYPTION_KEY: 'a-key-encryption-key-of-our-own-32+',
        AUTH_KEY_ENCRYPTION_KEY_PREVIOUS: 'the-key-it-replaces',
      }),
    ).toMatchObject({
      adminEmail: 'root@example.com',
      adminPassword: 'a-much-better-secret',
      seedDemoData: false,
      tokenTtlSeconds: 300,
      issuer: 'iss',
      audience: 'aud',
      keyRotationHours: 0,
      keyEncryptionKey: 'a-key-encryption-key-of-our-own-32+',
      previousKeyEncryptionKey: 'the-key-it-replaces',
    });
  });

  it('refuses a short admin password and lists every bad variable', () => {
    const found = problems({
      ...development,
      ADMIN_PASSWORD: 'short',
      ADMIN_EMAIL: 'nobody',
      SEED_DEMO_DATA: 'maybe',
      AUTH_TOKEN_TTL_SECONDS: '-5',
    });
    expect(found.map((p) => p.split(':')[0])).toEqual([
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'SEED_DEMO_DATA',
      'AUTH_TOKEN_TTL_SECONDS',
    ]);
    expect(found.find((p) => p.startsWith('ADMIN_PASSWORD'))).toContain(
      'must be 10 to 128 characters',
    );
  });

  describe('outside development', () => {
    it('is the mode when SWITCHBOARD_ENV is unset, and needs every secret set', () => {
      const found = problems({});
      expect(found.map((p) => p.split(':')[0])).toEqual([
        'DATABASE_URL',
        'TLS_CERT_FILE',
        'ADMIN_PASSWORD',
        'INVENTORY_SERVICE_SECRET',
        'ORDER_SERVICE_SECRET',
        'POST_SERVICE_SECRET',
        'NOTIFICATION_SERVICE_SECRET',
        'REPORTING_SERVICE_SECRET',
        'SUBSCRIPTION_SERVICE_SECRET',
        'AUTH_KEY_ENCRYPTION_KEY',
      ]);
      expect(found[0]).toContain('is required outside development');
    });

    it('refuses a secret this repository publishes, without echoing it', () => {
      const found = problems({
        ...productionSecrets,
        ADMIN_PASSWORD: 'switchboard-admin',
        ORDER_SERVICE_SECRET: 'dev-order-service-secret',
      });
      expect(found.map((p) => p.split(':')[0])).toEqual(['ADMIN_PASSWORD', 'ORDER_SERVICE_SECRET']);
      expect(found.join('\n')).toContain('published in this repository');
      expect(found.join('\n')).not.toContain('switchboard-admin');
    });

    it('refuses a short key encryption key without echoing it', () => {
      expect(
        problems({ ...productionSecrets, AUTH_KEY_ENCRYPTION_KEY: 'short-kek-value' }),
      ).toEqual(['AUTH_KEY_ENCRYPTION_KEY: must be at least 32 characters (value hidden)']);
    });

    it('refuses demo data, and has it off by default', () => {
      expect(problems({ ...productionSecrets, SEED_DEMO_DATA: 'true' })).toEqual([
        'SEED_DEMO_DATA: may be on only in development (SWITCHBOARD_ENV=development) (got "true")',
      ]);
      const config = loadAuthConfig(productionSecrets);
      expect(config).toMatchObject({ development: false, seedDemoData: false });
      expect(config.serviceClients.get('reporting-service')).toBe('reporting-secret-of-ours');
    });

    it('refuses a misspelt mode rather than guess', () => {
      expect(problems({ ...productionSecrets, SWITCHBOARD_ENV: 'dev' })).toEqual([
        'SWITCHBOARD_ENV: must be development or production (got "dev")',
      ]);
    });
  });

  it('takes the trusted proxies as IP addresses, and refuses anything else', () => {
    expect(loadAuthConfig(development).trustedProxies).toEqual([]);
    const config = loadAuthConfig({ ...development, AUTH_TRUSTED_PROXIES: '10.0.0.5, ::1' });
    expect(config.trustedProxies).toEqual(['10.0.0.5', '::1']);
    expect(problems({ ...development, AUTH_TRUSTED_PROXIES: '10.0.0.5,edge.internal' })).toEqual([
      expect.stringMatching(/AUTH_TRUSTED_PROXIES.*must be IP addresses; not: edge\.internal/),
    ]);
  });
});
