import { ConfigError } from '@switchboard/config';
import { loadConsoleConfig } from './load-console-config';

const dev = { SWITCHBOARD_ENV: 'development' };

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadConsoleConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the config loaded');
}

describe('loadConsoleConfig', () => {
  it('defaults to loopback on 8088, the services at their well-known ports and the edge on 8080', () => {
    const config = loadConsoleConfig(dev);
    expect(config).toMatchObject({
      service: 'console',
      host: '127.0.0.1',
      port: 8088,
      authAddr: '127.0.0.1:50051',
      inventoryAddr: '127.0.0.1:50052',
      orderAddr: '127.0.0.1:50053',
      postAddr: '127.0.0.1:50054',
      notificationAddr: '127.0.0.1:50055',
      reportingAddr: '127.0.0.1:50056',
      subscriptionAddr: '127.0.0.1:50057',
      edgeUrl: 'http://127.0.0.1:8080',
      kafkaBrokers: ['127.0.0.1:9092'],
      databaseUrl: 'postgres://postgres:***@127.0.0.1:5432/postgres',
      maxSpans: 50_000,
      maxOtlpBodyBytes: 4 * 1024 * 1024,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the variables the services, the edge and the events CLI read', () => {
    const config = loadConsoleConfig({
      ...dev,
      CONSOLE_PORT: '18088',
      ORDER_ADDR: 'orders.internal:6000',
      EDGE_PORT: '18080',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'console',
      KAFKA_SASL_PASSWORD: 'a-long-enough-password',
      DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/postgres',
      CONSOLE_MAX_SPANS: '1000',
    });
    expect(config).toMatchObject({
      port: 18088,
      orderAddr: 'orders.internal:6000',
      edgeUrl: 'http://127.0.0.1:18080',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      kafkaSecurity: { sasl: { mechanism: 'scram-sha-512', username: 'console' } },
      databaseUrl: 'postgres://app:***@db.internal:5432/postgres',
      maxSpans: 1000,
    });
    expect(JSON.stringify(config)).not.toContain('s3cret');
    expect(loadConsoleConfig({ ...dev, EDGE_URL: 'https://edge.example/' }).edgeUrl).toBe(
      'https://edge.example',
    );
  });

  it('shows no database outside development unless DATABASE_URL is set', () => {
    expect(loadConsoleConfig({ GRPC_PLAINTEXT: 'true' }).databaseUrl).toBeUndefined();
  });

  it('refuses a non-loopback host unless CONSOLE_ALLOW_REMOTE=true says so too', () => {
    expect(problemsOf({ ...dev, CONSOLE_HOST: '0.0.0.0' })).toEqual([
      expect.stringMatching(
        /^CONSOLE_HOST: "0\.0\.0\.0" is not a loopback address.*CONSOLE_ALLOW_REMOTE=true/,
      ),
    ]);
    expect(
      loadConsoleConfig({ ...dev, CONSOLE_HOST: '0.0.0.0', CONSOLE_ALLOW_REMOTE: 'true' }).host,
    ).toBe('0.0.0.0');
    for (const host of ['localhost', '127.0.0.2', '::1']) {
      expect(loadConsoleConfig({ ...dev, CONSOLE_HOST: host }).host).toBe(host);
    }
  });

  it('fails naming every bad variable at once, never echoing the database password', () => {
    const problems = problemsOf({
      ...dev,
      CONSOLE_PORT: 'eighty',
      CONSOLE_MAX_SPANS: '5',
      CONSOLE_REFRESH_MS: '10',
      CONSOLE_ALLOW_REMOTE: 'maybe',
      EDGE_URL: 'ftp://edge',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      KAFKA_BROKERS: ' , ',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^CONSOLE_ALLOW_REMOTE: must be true or false/),
      'CONSOLE_PORT: must be a whole number (got "eighty")',
      expect.stringMatching(/^EDGE_URL: must start with http:\/\/ or https:\/\//),
      expect.stringMatching(/^KAFKA_BROKERS: must list at least one value/),
      'DATABASE_URL: must start with postgres:// or postgresql:// (value hidden)',
      expect.stringMatching(/^CONSOLE_MAX_SPANS: must be between 100 and/),
      expect.stringMatching(/^CONSOLE_REFRESH_MS: must be between 250 and/),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
