import { Code, ConnectError } from '@connectrpc/connect';
import { sql, type Storage } from '@switchboard/storage';
import { decodeProtectedHeader } from 'jose';
import type { AuthDatabase } from './auth-schema';
import { createSigningKeys } from './signing-keys';
import {
  backends,
  createTestTarget,
  startAuthTestServer,
  testSettings,
  type TestDatabaseTarget,
} from './testing/auth-test-harness';

const ttlSeconds = testSettings.tokenTtlSeconds;

describe.each(backends)('signing keys on %s', (backend) => {
  let target: TestDatabaseTarget;
  let storage: Storage<AuthDatabase>;

  beforeAll(async () => {
    target = await createTestTarget(backend);
    storage = await target.open();
  });

  // One database per backend (opening PGlite takes seconds); each test starts with no key.
  beforeEach(async () => {
    await storage.db.deleteFrom('signing_keys').execute();
  });

  afterAll(async () => {
    await storage?.close();
    await target?.dispose();
  });

  const countKeys = async () =>
    (await storage.db.selectFrom('signing_keys').select('kid').execute()).length;

  it('makes one key on first use, even when several callers race for it, and keeps using it', async () => {
    const keys = createSigningKeys(storage.db, ttlSeconds);
    const others = createSigningKeys(storage.db, ttlSeconds);
    const kids = await Promise.all([keys.current(), others.current(), keys.current()]);
    expect(new Set(kids.map((k) => k.kid)).size).toBe(1);
    expect(await countKeys()).toBe(1);
    expect((await keys.current()).kid).toBe(kids[0]!.kid);
  });

  it('stores the private key so that a new process signs with the same kid', async () => {
    const { kid } = await createSigningKeys(storage.db, ttlSeconds).current();
    await storage.close();
    storage = await target.open();
    expect((await createSigningKeys(storage.db, ttlSeconds).current()).kid).toBe(kid);
  });

  it('publishes only public members in the JWKS', async () => {
    const keys = createSigningKeys(storage.db, ttlSeconds);
    await keys.current();
    const row = await storage.db
      .selectFrom('signing_keys')
      .select('private_jwk')
      .executeTakeFirstOrThrow();
    // The stored private key has d; nothing published may.
    expect(JSON.parse(row.private_jwk)).toHaveProperty('d');
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

  it('rotates: the new key signs, the old one verifies until its tokens have expired', async () => {
    const keys = createSigningKeys(storage.db, ttlSeconds);
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
    const fresh = createSigningKeys(storage.db, ttlSeconds);
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
    const replicas = [1, 2, 3].map(() => createSigningKeys(storage.db, ttlSeconds));
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
