import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, kafkaSecurityConfig, loadConfig, loadServiceConfig, type Env } from './index';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

let dir: string;
let caFile: string;
let certFile: string;
let keyFile: string;
let notPem: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-security-config-'));
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'client.pem');
  keyFile = join(dir, 'client.key');
  notPem = join(dir, 'notes.txt');
  writeFileSync(caFile, CERT);
  writeFileSync(certFile, CERT);
  writeFileSync(keyFile, KEY);
  writeFileSync(notPem, 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(source: Env, prefix?: string) {
  return loadConfig('test-service', { kafka: kafkaSecurityConfig({ prefix }) }, source).kafka;
}

function problemsOf(source: Env, prefix?: string): string {
  try {
    load(source, prefix);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('kafkaSecurityConfig', () => {
  it('is plaintext when nothing is set', () => {
    expect(load({})).toEqual({});
  });

  it('turns TLS on with a CA file and keeps the PEM', () => {
    const config = load({ KAFKA_SSL_CA_FILE: caFile });
    expect(config.tls).toEqual({ ca: CERT, caFile });
    expect(config.sasl).toBeUndefined();
  });

  it('turns TLS on with the system CAs for KAFKA_SSL=true', () => {
    expect(load({ KAFKA_SSL: 'true' })).toEqual({ tls: {} });
    expect(load({ KAFKA_SSL: 'false' })).toEqual({});
  });

  it('reads SCRAM credentials, case-insensitively for the mechanism', () => {
    const config = load({
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'order-service',
      KAFKA_SASL_PASSWORD: 's3cret-value',
    });
    expect(config.sasl?.mechanism).toBe('scram-sha-512');
    expect(config.sasl?.username).toBe('order-service');
    expect(config.sasl?.password).toBe('s3cret-value');
  });

  it('never shows the password or the client key when the config is logged or serialised', () => {
    const config = load({
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SSL_CERT_FILE: certFile,
      KAFKA_SSL_KEY_FILE: keyFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 's3cret-value',
    });
    expect(config.tls?.key).toBe(KEY);
    expect(JSON.stringify(config)).not.toContain('s3cret-value');
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(inspect(config, { depth: 5 })).not.toContain('s3cret-value');
    expect(Object.isFrozen(config.sasl)).toBe(true);
  });

  it('prefers a service-specific username and password', () => {
    const source = {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'shared',
      KAFKA_SASL_PASSWORD: 'shared-pw',
      ORDER_KAFKA_SASL_USERNAME: 'order-service',
      ORDER_KAFKA_SASL_PASSWORD: 'order-pw',
    };
    expect(load(source, 'ORDER').sasl).toMatchObject({ username: 'order-service' });
    expect(load(source, 'ORDER').sasl?.password).toBe('order-pw');
    expect(load(source, 'POST').sasl?.password).toBe('shared-pw');
    const development = { ...source, SWITCHBOARD_ENV: 'development' };
    expect(loadServiceConfig('order', undefined, development).kafkaSecurity.sasl?.username).toBe(
      'order-service',
    );
  });

  it('fails on a mechanism without a username or password, naming both variables', () => {
    const message = problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    expect(message).toContain('invalid configuration for test-service');
    expect(message).toContain('KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is set');
    expect(message).toContain('KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM is set');
  });

  it('names the service-specific variable that is missing', () => {
    const message = problemsOf(
      { KAFKA_SASL_MECHANISM: 'scram-sha-512', ORDER_KAFKA_SASL_USERNAME: 'order-service' },
      'ORDER',
    );
    expect(message).toContain('KAFKA_SASL_PASSWORD: is required');
    expect(message).not.toContain('KAFKA_SASL_USERNAME');
  });

  it('fails on credentials without a mechanism', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'x', KAFKA_SASL_PASSWORD: 'y' })).toContain(
      'KAFKA_SASL_MECHANISM: is required when KAFKA_SASL_USERNAME is set',
    );
  });

  it('fails on an unknown mechanism, listing the known ones', () => {
    expect(
      problemsOf({
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'x',
        KAFKA_SASL_PASSWORD: 'y',
      }),
    ).toContain(
      'KAFKA_SASL_MECHANISM: must be one of scram-sha-512, scram-sha-256, plain (got "gssapi")',
    );
  });

  it('refuses PLAIN without TLS, since it sends the password itself', () => {
    const source = {
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'x',
      KAFKA_SASL_PASSWORD: 'y',
    };
    expect(problemsOf(source)).toContain('KAFKA_SASL_MECHANISM: plain sends the password in clear');
    expect(load({ ...source, KAFKA_SSL: 'true' }).sasl?.mechanism).toBe('plain');
  });

  it('fails on an unreadable CA file and on one that is not PEM', () => {
    expect(problemsOf({ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') })).toContain(
      `KAFKA_SSL_CA_FILE: cannot read the file: ENOENT (got ${JSON.stringify(join(dir, 'missing.pem'))})`,
    );
    expect(problemsOf({ KAFKA_SSL_CA_FILE: notPem })).toContain(
      'KAFKA_SSL_CA_FILE: is not a PEM certificate file',
    );
  });

  it('needs the client certificate and key together, and never TLS files with KAFKA_SSL=false', () => {
    expect(problemsOf({ KAFKA_SSL_CERT_FILE: certFile })).toContain(
      'KAFKA_SSL_KEY_FILE: is required when KAFKA_SSL_CERT_FILE is set',
    );
    expect(problemsOf({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: caFile })).toContain(
      'KAFKA_SSL: is false, but KAFKA_SSL_CA_FILE',
    );
    expect(problemsOf({ KAFKA_SSL: 'maybe' })).toContain('KAFKA_SSL: must be true or false');
  });

  it('never echoes a rejected password', () => {
    const message = problemsOf({ KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    expect(message).not.toContain('hunter2');
  });

  it('reports Kafka problems next to the other bad variables of a service', () => {
    let caught: unknown;
    try {
      loadServiceConfig('order', undefined, { ORDER_PORT: '0', KAFKA_SASL_MECHANISM: 'plain' });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toContain('ORDER_PORT: must be between 1 and 65535');
    expect((caught as Error).message).toContain('KAFKA_SASL_USERNAME: is required');
  });
});
