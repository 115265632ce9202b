import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestCertificates,
  type TestCertificate,
  type TestCertificateAuthority,
} from '@switchboard/testing';
import { ConfigError, loadServiceConfig, type Env } from './index';

const development = { SWITCHBOARD_ENV: 'development' };

/** The problems loading the inventory service's config reports, or [] when it loads. */
function problems(env: Env): string[] {
  try {
    loadServiceConfig('inventory', undefined, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('TLS configuration', () => {
  let pki: TestCertificateAuthority;
  let cert: TestCertificate;
  let other: TestCertificate;
  let notPem: string;

  beforeAll(async () => {
    pki = await createTestCertificates();
    cert = await pki.issue('inventory-service');
    other = await pki.issue('order-service');
    notPem = join(pki.caFile, '..', 'not-pem.txt');
    writeFileSync(notPem, 'hello');
  });

  afterAll(() => pki.remove());

  const files = () => ({
    TLS_CERT_FILE: cert.certFile,
    TLS_KEY_FILE: cert.keyFile,
    TLS_CA_FILE: pki.caFile,
  });

  it('is plaintext in development unless a certificate is given', () => {
    const config = loadServiceConfig('inventory', undefined, development);
    expect(config).toMatchObject({ tlsClientAuth: 'none', grpcPlaintext: false });
    expect(config.tlsCert).toBeUndefined();
    expect(config.tlsKey).toBeUndefined();
    expect(config.tlsCa).toBeUndefined();
  });

  it('reads the files once, at load', () => {
    const config = loadServiceConfig('inventory', undefined, {
      ...development,
      ...files(),
      TLS_CLIENT_AUTH: 'require',
    });
    expect(config.tlsCert).toEqual(cert.cert);
    expect(config.tlsKey).toEqual(cert.key);
    expect(config.tlsCa).toEqual(pki.ca);
    expect(config.tlsClientAuth).toBe('require');
  });

  it('names the variable of a file that is missing or not PEM', () => {
    expect(
      problems({ ...development, ...files(), TLS_CERT_FILE: '/nonexistent/cert.pem' }),
    ).toEqual(['TLS_CERT_FILE: cannot be read (ENOENT) (got "/nonexistent/cert.pem")']);
    expect(problems({ ...development, ...files(), TLS_KEY_FILE: notPem })).toEqual([
      `TLS_KEY_FILE: is not an unencrypted PEM private key (got ${JSON.stringify(notPem)})`,
    ]);
    expect(problems({ ...development, ...files(), TLS_CA_FILE: notPem })).toEqual([
      `TLS_CA_FILE: is not a PEM certificate (got ${JSON.stringify(notPem)})`,
    ]);
  });

  it('refuses a key that is not the certificate’s, without showing the key', () => {
    const found = problems({ ...development, ...files(), TLS_KEY_FILE: other.keyFile });
    expect(found).toEqual([
      `TLS_KEY_FILE: is not the key of the certificate in TLS_CERT_FILE (got ${JSON.stringify(other.keyFile)})`,
    ]);
    expect(found.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('refuses inconsistent combinations, naming the variable to fix', () => {
    expect(problems({ ...development, TLS_CERT_FILE: cert.certFile })).toEqual([
      'TLS_KEY_FILE: is required when TLS_CERT_FILE is set (unset)',
    ]);
    expect(problems({ ...development, TLS_KEY_FILE: cert.keyFile })).toEqual([
      `TLS_KEY_FILE: is set but TLS_CERT_FILE is not (got ${JSON.stringify(cert.keyFile)})`,
    ]);
    expect(
      problems({
        ...development,
        TLS_CERT_FILE: cert.certFile,
        TLS_KEY_FILE: cert.keyFile,
        TLS_CLIENT_AUTH: 'require',
      }),
    ).toEqual([
      'TLS_CA_FILE: is required when TLS_CLIENT_AUTH=require, to verify client certificates (unset)',
    ]);
    expect(
      problems({ ...development, TLS_CLIENT_AUTH: 'request', TLS_CA_FILE: pki.caFile }),
    ).toEqual([
      'TLS_CLIENT_AUTH: needs TLS_CERT_FILE and TLS_KEY_FILE: only a TLS server can ask for certificates (got "request")',
    ]);
    expect(problems({ ...development, ...files(), TLS_CLIENT_AUTH: 'always' })).toEqual([
      'TLS_CLIENT_AUTH: must be one of none, request, require (got "always")',
    ]);
    expect(problems({ ...development, ...files(), GRPC_PLAINTEXT: 'true' })).toEqual([
      'GRPC_PLAINTEXT: cannot be true while TLS_CERT_FILE or TLS_CA_FILE is set (got "true")',
    ]);
  });

  it('outside development, needs a certificate unless plaintext is chosen explicitly', () => {
    const production = {
      INVENTORY_SERVICE_SECRET: 'inventory-secret-of-ours',
      DATABASE_URL: 'postgres://inventory:a-db-password@db.internal:5432/postgres',
    };
    expect(problems(production)).toEqual([
      'TLS_CERT_FILE: is required outside development (SWITCHBOARD_ENV=development), unless GRPC_PLAINTEXT=true (unset)',
    ]);
    expect(problems({ ...production, ...files() })).toEqual([]);
    expect(problems({ ...production, GRPC_PLAINTEXT: 'true' })).toEqual([]);
  });
});

describe('gRPC server limits', () => {
  it('has defaults that bound a connection', () => {
    expect(loadServiceConfig('inventory', undefined, development)).toMatchObject({
      maxConcurrentStreams: 100,
      keepaliveTimeMs: 120_000,
      keepaliveTimeoutMs: 20_000,
      maxConnectionAgeMs: 1_800_000,
      maxConnectionAgeGraceMs: 300_000,
      maxConnectionIdleMs: 300_000,
    });
  });

  it('reads the variables and refuses values out of range', () => {
    const config = loadServiceConfig('inventory', undefined, {
      ...development,
      GRPC_MAX_CONCURRENT_STREAMS: '8',
      GRPC_MAX_CONNECTION_AGE_MS: '60000',
    });
    expect(config).toMatchObject({ maxConcurrentStreams: 8, maxConnectionAgeMs: 60_000 });
    expect(
      problems({ ...development, GRPC_MAX_CONCURRENT_STREAMS: '0', GRPC_KEEPALIVE_TIME_MS: '5' }),
    ).toEqual([
      'GRPC_MAX_CONCURRENT_STREAMS: must be between 1 and 10000 (got "0")',
      'GRPC_KEEPALIVE_TIME_MS: must be between 10000 and 86400000 (got "5")',
    ]);
  });
});
