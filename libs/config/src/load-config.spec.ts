import {
  ConfigError,
  LOCAL_DATABASE_URL,
  env,
  isDevelopment,
  loadConfig,
  loadServiceConfig,
  publishedSecrets,
  serviceSecret,
  services,
  type ServiceKey,
} from './index';

describe('loadConfig', () => {
  it('parses, applies defaults and freezes', () => {
    const config = loadConfig(
      'test',
      { port: env.port('PORT', 8080), brokers: env.list('BROKERS'), name: env.string('NAME') },
      { BROKERS: 'a:1, b:2', NAME: 'x' },
    );
    expect(config).toEqual({ port: 8080, brokers: ['a:1', 'b:2'], name: 'x' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every problem at once, naming the variable and the rule', () => {
    let caught: unknown;
    try {
      loadConfig(
        'order-service',
        { port: env.port('PORT', 1), name: env.string('NAME'), lvl: env.oneOf('LVL', ['a', 'b']) },
        { PORT: '99999', LVL: 'c' },
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('invalid configuration for order-service');
    expect(message).toContain('PORT: must be between 1 and 65535 (got "99999")');
    expect(message).toContain('NAME: is required (unset)');
    expect(message).toContain('LVL: must be one of a, b (got "c")');
  });

  it('rejects a database URL that is not postgres', () => {
    expect(() =>
      loadServiceConfig('order', undefined, { DATABASE_URL: 'mysql://localhost/x' }),
    ).toThrow('DATABASE_URL: must start with postgres:// or postgresql://');
  });

  it('never echoes a rejected database URL, which may carry a password', () => {
    let message = '';
    try {
      loadServiceConfig('order', undefined, {
        DATABASE_URL: 'mysql://app:db-pass-123@db/x',
        ORDER_DATABASE_URL: 'postgres//app:db-pass-456@db/x',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'ORDER_DATABASE_URL: must be a URL like postgres://user:pass@host:5432/db (value hidden)',
    );
    expect(message).toContain(
      'DATABASE_URL: must start with postgres:// or postgresql:// (value hidden)',
    );
    expect(message).not.toContain('db-pass');
  });
});

describe('the database URL', () => {
  const production = { ORDER_SERVICE_SECRET: 'order-secret-of-ours', GRPC_PLAINTEXT: 'true' };
  const problems = (source: Record<string, string>) => {
    try {
      loadServiceConfig('order', undefined, source);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('is required outside development, naming DATABASE_URL and the per-service variable', () => {
    expect(problems(production)).toEqual([
      'DATABASE_URL: is required outside development (or ORDER_DATABASE_URL): the PostgreSQL server, e.g. postgres://user:pass@host:5432/postgres (unset)',
    ]);
    expect(problems({ ...production, DATABASE_URL: '' })).toHaveLength(1); // empty is unset
  });

  it('outside development, a per-service URL alone is enough', () => {
    const config = loadServiceConfig('order', undefined, {
      ...production,
      ORDER_DATABASE_URL: 'postgres://o:pw@orders-db:5432/orders',
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.serviceDatabaseUrl).toBe('postgres://o:pw@orders-db:5432/orders');
  });

  it('defaults to the local server in development only, and a set one always wins', () => {
    const development = loadServiceConfig('order', undefined, { SWITCHBOARD_ENV: 'development' });
    expect(development.databaseUrl).toBe(LOCAL_DATABASE_URL);
    expect(LOCAL_DATABASE_URL).toBe('postgres://postgres:postgres@127.0.0.1:5432/postgres');
    const chosen = loadServiceConfig('order', undefined, {
      SWITCHBOARD_ENV: 'development',
      DATABASE_URL: 'postgres://me:pw@127.0.0.1:6543/postgres',
    });
    expect(chosen.databaseUrl).toBe('postgres://me:pw@127.0.0.1:6543/postgres');
    const server = loadServiceConfig('order', undefined, {
      ...production,
      DATABASE_URL: 'postgres://app:pw@db.internal:5432/postgres',
    });
    expect(server.databaseUrl).toBe('postgres://app:pw@db.internal:5432/postgres');
  });
});

describe('loadServiceConfig', () => {
  it('uses the service prefix and its well-known port', () => {
    const config = loadServiceConfig('inventory', undefined, {
      SWITCHBOARD_ENV: 'development',
      INVENTORY_PORT: '6000',
    });
    expect(config.port).toBe(6000);
    expect(config.service).toBe('inventory-service');
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.authAddr).toBe('127.0.0.1:50051');
  });

  it('adds service-specific fields', () => {
    const config = loadServiceConfig(
      'order',
      { reserveTimeoutMs: env.int('ORDER_RESERVE_TIMEOUT_MS', { default: 2000 }) },
      { SWITCHBOARD_ENV: 'development' },
    );
    expect(config.reserveTimeoutMs).toBe(2000);
  });
});

describe('secrets and flags', () => {
  it('never echoes a rejected secret', () => {
    const schema = {
      pw: env.secret(env.int('PW', { min: 5 })),
      on: env.flag('ON', { default: false }),
    };
    expect(() => loadConfig('s', schema, { PW: 'hunter2-secret' })).toThrow(
      'PW: must be a whole number (value hidden)',
    );
    expect(() => loadConfig('s', schema, { PW: 'hunter2-secret' })).not.toThrow(/hunter2/);
    expect(loadConfig('s', schema, { PW: '7', ON: 'TRUE' }).on).toBe(true);
    expect(() => loadConfig('s', schema, { PW: '7', ON: 'yes' })).toThrow(
      'ON: must be true or false',
    );
  });
});

describe('development and production', () => {
  const schema = {
    key: env.credential('KEY', { developmentDefault: 'switchboard-admin', minLength: 12 }),
    demo: env.developmentOnlyFlag('DEMO'),
  };

  it('gives development its published defaults', () => {
    expect(loadConfig('s', schema, { SWITCHBOARD_ENV: 'development' })).toEqual({
      key: 'switchboard-admin',
      demo: true,
    });
    expect(isDevelopment({ SWITCHBOARD_ENV: 'development' })).toBe(true);
    expect(isDevelopment({})).toBe(false);
  });

  it('treats an unset mode as production: secrets required, demo switches off', () => {
    expect(() => loadConfig('s', schema, {})).toThrow(
      'KEY: is required outside development (SWITCHBOARD_ENV=development) (unset)',
    );
    expect(loadConfig('s', schema, { KEY: 'our-own-long-key' })).toEqual({
      key: 'our-own-long-key',
      demo: false,
    });
  });

  it('refuses published secrets and short ones in production, never echoing them', () => {
    for (const value of publishedSecrets) {
      expect(() => loadConfig('s', schema, { KEY: value })).toThrow(
        /KEY: (is a value published|must be at least)/,
      );
    }
    expect(() => loadConfig('s', schema, { KEY: 'short' })).toThrow(
      'KEY: must be at least 12 characters (value hidden)',
    );
  });

  it('lists every development default of a service secret as published', () => {
    for (const key of Object.keys(services) as ServiceKey[]) {
      const field = serviceSecret(key);
      const value = field.parse(undefined, { development: true });
      expect(publishedSecrets).toContain(value);
    }
  });
});
