import { ConfigError } from '@switchboard/config';
import { loadAuthConfig } from './load-auth-config';

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
  it('has working defaults', () => {
    expect(loadAuthConfig({})).toMatchObject({
      service: 'auth-service',
      port: 50051,
      adminEmail: 'admin@switchboard.local',
      adminPassword: 'switchboard-admin',
      seedDemoData: true,
      tokenTtlSeconds: 900,
      issuer: 'switchboard-auth',
      audience: 'switchboard',
      keyRotationHours: 0,
    });
  });

  it('reads every auth variable', () => {
    expect(
      loadAuthConfig({
        ADMIN_EMAIL: 'Root@Example.com',
        ADMIN_PASSWORD: 'a-much-better-secret',
        SEED_DEMO_DATA: 'false',
        AUTH_TOKEN_TTL_SECONDS: '300',
        AUTH_ISSUER: 'iss',
        AUTH_AUDIENCE: 'aud',
        AUTH_KEY_ROTATION_HOURS: '24',
      }),
    ).toMatchObject({
      adminEmail: 'root@example.com',
      adminPassword: 'a-much-better-secret',
      seedDemoData: false,
      tokenTtlSeconds: 300,
      issuer: 'iss',
      audience: 'aud',
      keyRotationHours: 24,
    });
  });

  it('refuses a short admin password and lists every bad variable', () => {
    const found = problems({
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
});
