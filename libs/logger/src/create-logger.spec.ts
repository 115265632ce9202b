import { Writable } from 'node:stream';
import { createLogger } from './create-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

const JWT =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNlY3JldA';

describe('createLogger', () => {
  it('writes JSON lines tagged with the service and redacts secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'auth-service', destination: stream });
    logger.info({ request: { email: 'a@b.c', password: 'hunter22hunter' } }, 'login');
    logger.info({ metadata: { authorization: 'Bearer abc.def.ghi' } }, 'call');
    expect(lines[0]).toMatchObject({ service: 'auth-service', level: 'info', msg: 'login' });
    expect(lines[0]).toMatchObject({ request: { email: 'a@b.c', password: '[redacted]' } });
    expect(JSON.stringify(lines)).not.toContain('hunter22hunter');
    expect(JSON.stringify(lines)).not.toContain('abc.def.ghi');
  });

  it('redacts nested passwords, tokens and private keys at any depth, and nothing else', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 's', destination: stream });
    const logged = {
      userId: 'u-1',
      tokenTtlSeconds: 900,
      config: {
        adminPassword: 'pw-admin-1',
        orderServiceSecret: 'svc-secret-2',
        keyEncryptionKey: 'kek-3',
        databaseUrl: 'postgres://app:url-pass-4@db:5432/auth',
      },
      batch: [{ user: { credentials: { new_password: 'pw-deep-5' } } }],
      response: { access_token: 'opaque-6', refreshToken: 'opaque-7', token: 'opaque-8' },
      headers: { Authorization: 'Bearer opaque-9', cookie: 'sid=opaque-10' },
      signingKey: {
        privateJwk: { kty: 'EC', d: 'jwk-d-11' },
        jwk: { kty: 'EC', crv: 'P-256', x: 'public-x', d: 'jwk-d-12' },
        private_key: 'opaque-13',
        key: { kty: 'oct', k: 'sym-14' },
      },
      note: `forwarded ${JWT} and -----BEGIN PRIVATE KEY-----\nMIGHpem-15\n-----END PRIVATE KEY-----`,
      key: 'kafka-key-kept',
      empty: { password: '' },
    };
    logger.info(logged, 'nested');
    logger.child({ session: { token: 'child-binding-16' } }).info('child');
    logger.warn({ err: Object.assign(new Error(`bad ${JWT}`), { password: 'on-error-17' }) }, 'e');

    const text = JSON.stringify(lines);
    for (const secret of [
      'pw-admin-1',
      'svc-secret-2',
      'kek-3',
      'url-pass-4',
      'pw-deep-5',
      'opaque-',
      'jwk-d-1',
      'sym-14',
      'MIGHpem-15',
      'child-binding-16',
      'on-error-17',
      'c2lnbmF0dXJlLXNlY3JldA',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      userId: 'u-1',
      tokenTtlSeconds: 900,
      key: 'kafka-key-kept',
      empty: { password: '' },
      config: { databaseUrl: 'postgres://app:[redacted]@db:5432/auth' },
      headers: { Authorization: '[redacted]' },
      signingKey: { jwk: { kty: 'EC', crv: 'P-256', x: 'public-x', d: '[redacted]' } },
    });
    expect(lines[2]).toMatchObject({ err: { type: 'Error', message: 'bad [redacted]' } });
    // The caller's object is left as it was.
    expect(logged.config.adminPassword).toBe('pw-admin-1');
  });

  it('drops lines below the configured level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 's', level: 'warn', destination: stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});
