import { createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Storage } from '@switchboard/storage';
import { errorInfo } from '@switchboard/testing';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { AuthDatabase } from './auth-schema';
import {
  createAuthTestDatabase,
  startAuthTestServer,
  testSettings,
  type AuthTestServer,
} from './testing/auth-test-harness';
import { INVALID_TOKEN_MESSAGE } from './token-service';

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens an attacker could send: each is a valid token of ours but for one
 * thing, so each test shows that one check at work (the control test proves
 * the forger makes tokens we would otherwise accept).
 */
describe('VerifyToken refuses forged and stale tokens', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;
  let t: AuthTestServer;
  let ours: { kid: string; privateKey: CryptoKey };
  let userId: string;

  beforeAll(async () => {
    storage = await database.open();
    t = await startAuthTestServer(storage);
    ours = await t.auth.keys.current();
    ({ userId } = await t.client.login({
      email: 'demo@switchboard.local',
      password: 'switchboard-demo',
    }));
  });

  afterAll(async () => {
    await t?.stop();
    await database.close();
  });

  function claims(overrides: JWTPayload = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: testSettings.issuer,
      aud: testSettings.audience,
      sub: userId,
      jti: randomUUID(),
      iat: now,
      nbf: now,
      exp: now + 600,
      roles: ['customer'],
      ...overrides,
    };
  }

  function forge(
    payload: JWTPayload = claims(),
    key: CryptoKey | Uint8Array = ours.privateKey,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: ours.kid, typ: 'JWT', ...header })
      .sign(key);
  }

  async function expectRefused(accessToken: string): Promise<void> {
    let error: unknown;
    try {
      await t.client.verifyToken({ accessToken }, await t.asService());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConnectError);
    const err = error as ConnectError;
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
    expect(errorInfo(err).code).toBe('INVALID_TOKEN');
  }

  it('accepts what the forger makes with our key and honest claims (control)', async () => {
    const verified = await t.client.verifyToken(
      { accessToken: await forge() },
      await t.asService(),
    );
    expect(verified.userId).toBe(userId);
  });

  it('refuses an expired token, beyond the 5 s allowed for clock drift between replicas', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await forge(claims({ iat: now - 1000, nbf: now - 1000, exp: now - 6 })));
  });

  it('allows 5 s of clock drift, and no more, on a token minted just ahead of this clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ahead = await forge(claims({ iat: now + 3, nbf: now + 3, exp: now + 900 }));
    const verified = await t.client.verifyToken({ accessToken: ahead }, await t.asService());
    expect(verified.userId).toBe(userId);
    await expectRefused(await forge(claims({ iat: now + 30, nbf: now + 30, exp: now + 900 })));
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await forge(claims({ nbf: now + 600, exp: now + 1200 })));
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await forge(claims({ aud: 'someone-else' })));
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await forge(claims({ iss: 'evil-issuer' })));
  });

  it('refuses a token missing a required claim', async () => {
    await expectRefused(await forge(claims({ jti: undefined })));
    await expectRefused(await forge(claims({ nbf: undefined })));
  });

  it('refuses a tampered signature', async () => {
    const [h, p, s] = (await forge()).split('.') as [string, string, string];
    const i = Math.floor(s.length / 2);
    const flipped = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    await expectRefused(`${h}.${p}.${flipped}`);
  });

  it('refuses a payload changed after signing (privilege escalation)', async () => {
    const [h, , s] = (await forge()).split('.') as [string, string, string];
    await expectRefused(`${h}.${b64url(claims({ roles: ['admin'] }))}.${s}`);
  });

  it('refuses alg "none"', async () => {
    const unsigned = `${b64url({ alg: 'none', kid: ours.kid, typ: 'JWT' })}.${b64url(claims())}.`;
    await expectRefused(unsigned);
    // The same with a junk signature attached, in case anything only checks its presence.
    await expectRefused(`${unsigned}c2lnbmF0dXJl`);
  });

  it('refuses HS256 signed with our public key as the HMAC secret', async () => {
    const [jwk] = (JSON.parse((await t.client.getJwks({})).keysJson) as { keys: JsonWebKey[] })
      .keys;
    const pem = createPublicKey({ key: jwk!, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const secrets = [Buffer.from(String(pem)), Buffer.from(JSON.stringify(jwk))];
    for (const secret of secrets) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: ours.kid, typ: 'JWT' })
        .sign(new Uint8Array(secret));
      await expectRefused(token);
    }
  });

  it('refuses a valid ES256 token signed by a key that is not ours', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    // Under a kid we never issued...
    await expectRefused(await forge(claims(), privateKey, { kid: randomUUID() }));
    // ...and under our own kid.
    await expectRefused(await forge(claims(), privateKey));
    // ...and with the foreign public key embedded in the header.
    const { privateKey: k2, publicKey: p2 } = await generateKeyPair('ES256', { extractable: true });
    await expectRefused(await forge(claims(), k2, { jwk: await exportJWK(p2) }));
  });

  it('refuses a token without a kid, or with a kid that is not a string', async () => {
    await expectRefused(await forge(claims(), ours.privateKey, { kid: undefined }));
    await expectRefused(await forge(claims(), ours.privateKey, { kid: 42 }));
  });

  it('refuses a revoked token', async () => {
    const token = await forge();
    await t.client.revokeToken({ accessToken: token });
    await expectRefused(token);
  });
});
