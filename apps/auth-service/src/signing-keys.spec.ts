import { Code, ConnectError } from '@connectrpc/connect';
import { sql, type Kysely, type Storage } from '@switchboard/storage';
import {
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWK,
} from 'jose';
import type { AuthDatabase } from './auth-schema';
import { createKeyEncryption } from './key-encryption';
import { createSigningKeys } from './signing-keys';
import {
  createAuthTestDatabase,
  startAuthTestServer,
  testSettings,
} from './testing/auth-test-harness';

const ttlSeconds = testSettings.tokenTtlSeconds;

const keysOn = (db: Kysely<AuthDatabase>, secret = testSettings.keyEncryptionKey) =>
  createSigningKeys(db, { tokenTtlSeconds: ttlSeconds, encryption: createKeyEncryption(secret) });

describe('signing keys', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;

  beforeAll(async () => {
    storage = await database.open();
  });

  // One database for the suite; each test starts with no key.
  beforeEach(async () => {
    await storage.db.deleteFrom('signing_keys').execute();
  });

  afterAll(async () => {
    await database.close();
  });

  const countKeys = async () =>
    (await storage.db.selectFrom('signing_keys').select('kid').execute()).length;

  it('makes one key on first use, even when several callers race for it, and keeps using it', async () => {
    const keys = keysOn(storage.db);
    const others = keysOn(storage.db);
    const kids = await Promise.all([keys.current(), others.current(), keys.current()]);
    expect(new Set(kids.map((k) => k.kid)).size).toBe(1);
    expect(await countKeys()).toBe(1);
    expect((await keys.current()).kid).toBe(kids[0]!.kid);
  });

  it('stores the private key so that a new process signs with the same kid', async () => {
    const { kid } = await keysOn(storage.db).current();
    storage = await database.reopen();
    expect((await keysOn(storage.db).current()).kid).toBe(kid);
  });

  it('publishes only public members in the JWKS', async () => {
    const keys = keysOn(storage.db);
    await keys.current();
    const row = await storage.db
      .selectFrom('signing_keys')
      .select('private_jwk')
      .executeTakeFirstOrThrow();
    // The stored private key has d (once opened); nothing published may.
    const { kid } = await keys.current();
    const opened = createKeyEncryption(testSettings.keyEncryptionKey);
    expect(JSON.parse(await opened.open(row.private_jwk, kid))).toHaveProperty('d');
    const { keys: published } = await keys.jwks();
    expect(published).toHaveLength(1);
    expect(published[0]).not.toHaveProperty('d');
    expect(Object.keys(published[0]!).sort()).toEqual([
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
  });

  describe('at rest', () => {
    const privateJwkOf = async (kid: string) =>
      (
        await storage.db
          .selectFrom('signing_keys')
          .select('private_jwk')
          .where('kid', '=', kid)
          .executeTakeFirstOrThrow()
      ).private_jwk;

    it('stores the private key sealed: the column holds no key material', async () => {
      const { kid } = await keysOn(storage.db).current();
      const stored = await privateJwkOf(kid);
      const jwk = JSON.parse(
        await createKeyEncryption(testSettings.keyEncryptionKey).open(stored, kid),
      ) as JWK;
      expect(jwk.d).toEqual(expect.any(String));
      expect(stored).toMatch(/^v1\.[A-Za-z0-9_.-]+$/);
      for (const member of [jwk.d!, jwk.x!, jwk.y!, '"kty"', 'P-256']) {
        expect(stored).not.toContain(member);
      }
      // Sealed to its kid: moved to another row, it does not open.
      await expect(
        createKeyEncryption(testSettings.keyEncryptionKey).open(stored, 'another-kid'),
      ).rejects.toThrow('the key does not open the stored value');
    });

    it('fails the start with a wrong key, naming the variable, and never makes a new key', async () => {
      const { kid } = await keysOn(storage.db).current();
      const wrong = keysOn(storage.db, 'not-the-key-the-rows-were-sealed-with');
      await expect(wrong.unlock()).rejects.toThrow(
        `AUTH_KEY_ENCRYPTION_KEY does not decrypt the stored signing key ${kid}`,
      );
      await expect(wrong.current()).rejects.toThrow('AUTH_KEY_ENCRYPTION_KEY');
      await expect(
        startAuthTestServer(storage, { keyEncryptionKey: 'not-the-key-the-rows-were-sealed-with' }),
      ).rejects.toThrow('AUTH_KEY_ENCRYPTION_KEY');
      expect(await countKeys()).toBe(1);
      expect((await keysOn(storage.db).current()).kid).toBe(kid);
    });

    it('seals a private key stored in plain text by an older version, keeping its kid', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const kid = 'plaintext-key-from-before';
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
      await storage.db
        .insertInto('signing_keys')
        .values({
          kid,
          algorithm: 'ES256',
          private_jwk: JSON.stringify(privateJwk),
          public_jwk: JSON.stringify(publicJwk),
          retired_at: null,
          revoked_at: null,
        })
        .execute();
      const keys = keysOn(storage.db);
      await keys.unlock();
      const stored = await privateJwkOf(kid);
      expect(stored).toMatch(/^v1\./);
      expect(stored).not.toContain(privateJwk.d!);
      // A second start finds nothing left to seal and changes nothing.
      await keysOn(storage.db).unlock();
      expect(await privateJwkOf(kid)).toBe(stored);

      const signer = await keys.current();
      expect(signer.kid).toBe(kid);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid })
        .sign(signer.privateKey);
      const verifier = await keysOn(storage.db).verificationKey(kid);
      await expect(jwtVerify(token, verifier!)).resolves.toBeDefined();
    });

    it('seals again with a new key what the previous one opens, so the key can be changed', async () => {
      const { kid } = await keysOn(storage.db, 'the-old-key-encryption-key-of-ours').current();
      const changing = createSigningKeys(storage.db, {
        tokenTtlSeconds: ttlSeconds,
        encryption: createKeyEncryption('the-new-key-encryption-key-of-ours'),
        previousEncryption: createKeyEncryption('the-old-key-encryption-key-of-ours'),
      });
      // Before the start's unlock (another replica still sealing with the old key), it opens too.
      expect((await changing.current()).kid).toBe(kid);
      await changing.unlock();
      // From now on the new key alone opens it, and the old one no longer does.
      expect((await keysOn(storage.db, 'the-new-key-encryption-key-of-ours').current()).kid).toBe(
        kid,
      );
      await expect(
        keysOn(storage.db, 'the-old-key-encryption-key-of-ours').unlock(),
      ).rejects.toThrow('AUTH_KEY_ENCRYPTION_KEY does not decrypt');
      await expect(
        createSigningKeys(storage.db, {
          tokenTtlSeconds: ttlSeconds,
          encryption: createKeyEncryption('a-third-key-encryption-key-of-ours'),
          previousEncryption: createKeyEncryption('the-old-key-encryption-key-of-ours'),
        }).unlock(),
      ).rejects.toThrow(
        'AUTH_KEY_ENCRYPTION_KEY (nor AUTH_KEY_ENCRYPTION_KEY_PREVIOUS) does not decrypt',
      );
    });
  });

  describe('revoke', () => {
    it('stops a retired key verifying at once and drops it from the JWKS', async () => {
      const keys = keysOn(storage.db);
      const old = (await keys.current()).kid;
      const next = await keys.rotate();
      expect(await keys.verificationKey(old)).toBeDefined();
      const { newKid } = await keys.revoke(old);
      expect(newKid).toBeUndefined();
      expect(await keys.verificationKey(old)).toBeUndefined();
      expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([next]);
      expect((await keys.current()).kid).toBe(next);
      // Again is harmless and keeps the first time.
      const first = (await keys.list()).find((k) => k.kid === old)!.revokedAt;
      expect((await keys.revoke(old)).revokedAt).toEqual(first);
    });

    it('rotates first when the key revoked is the current one', async () => {
      const keys = keysOn(storage.db);
      const old = (await keys.current()).kid;
      const { newKid } = await keys.revoke(old);
      expect(newKid).toEqual(expect.any(String));
      expect((await keys.current()).kid).toBe(newKid);
      const listed = await keys.list();
      expect(listed.map((k) => [k.kid, k.retiredAt !== null, k.revokedAt !== null])).toEqual([
        [newKid, false, false],
        [old, true, true],
      ]);
    });

    it('answers SIGNING_KEY_NOT_FOUND for an unknown kid', async () => {
      await expect(keysOn(storage.db).revoke('no-such-kid')).rejects.toMatchObject({
        code: 'SIGNING_KEY_NOT_FOUND',
      });
    });
  });

  it('rotates: the new key signs, the old one verifies until its tokens have expired', async () => {
    const keys = keysOn(storage.db);
    const old = (await keys.current()).kid;
    const next = await keys.rotate();
    expect(next).not.toBe(old);
    expect((await keys.current()).kid).toBe(next);
    expect(await keys.verificationKey(old)).toBeDefined();
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([next, old]);

    // A token lifetime after retirement, no token of the old key is alive:
    // a fresh instance (no cache) must refuse it and stop publishing it.
    await sql`update signing_keys set retired_at = now() - make_interval(secs => ${ttlSeconds + 1})
              where kid = ${old}`.execute(storage.db);
    const fresh = keysOn(storage.db);
    expect(await fresh.verificationKey(old)).toBeUndefined();
    expect((await fresh.jwks()).keys.map((k) => k.kid)).toEqual([next]);

    // The next rotation deletes it for good.
    const third = await fresh.rotate();
    const kids = (await storage.db.selectFrom('signing_keys').select('kid').execute()).map(
      (r) => r.kid,
    );
    expect(kids.sort()).toEqual([next, third].sort());
  });

  it('rotates by age once, however many replicas ask at the same time', async () => {
    const replicas = [1, 2, 3].map(() => keysOn(storage.db));
    // With no key yet, the first is made; that is not a rotation.
    expect(await replicas[0]!.rotateIfOlderThan(3_600_000)).toBeUndefined();
    expect(await countKeys()).toBe(1);
    const first = (await replicas[0]!.current()).kid;
    expect(await replicas[0]!.rotateIfOlderThan(3_600_000)).toBeUndefined();

    await sql`update signing_keys set created_at = now() - interval '2 hours'`.execute(storage.db);
    const results = await Promise.all(replicas.map((r) => r.rotateIfOlderThan(3_600_000)));
    const rotated = results.filter((kid): kid is string => kid !== undefined);
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe(first);
    expect(await countKeys()).toBe(2);
    expect((await replicas[2]!.current()).kid).toBe(rotated[0]);
  });

  it('keeps a token issued before a rotation valid over gRPC, and signs new ones with the new kid', async () => {
    const t = await startAuthTestServer(storage);
    try {
      const demo = { email: 'demo@switchboard.local', password: 'switchboard-demo' };
      const before = await t.client.login(demo);
      const newKid = await t.auth.keys.rotate();
      const after = await t.client.login(demo);
      expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
      expect(decodeProtectedHeader(before.accessToken).kid).not.toBe(newKid);
      await expect(
        t.client.verifyToken({ accessToken: before.accessToken }, await t.asService()),
      ).resolves.toMatchObject({
        userId: before.userId,
      });
      await expect(
        t.client.verifyToken({ accessToken: after.accessToken }, await t.asService()),
      ).resolves.toBeDefined();
      const jwks = JSON.parse((await t.client.getJwks({})).keysJson) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual([
        newKid,
        decodeProtectedHeader(before.accessToken).kid,
      ]);

      // Once the old key is past its verification window the token is refused.
      await sql`update signing_keys set retired_at = now() - interval '1 day' where kid <> ${newKid}`.execute(
        storage.db,
      );
      const restarted = await startAuthTestServer(storage);
      try {
        const err = await restarted.client
          .verifyToken({ accessToken: before.accessToken }, await restarted.asService())
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code).toBe(Code.Unauthenticated);
      } finally {
        await restarted.stop();
      }
    } finally {
      await t.stop();
    }
  });
});
