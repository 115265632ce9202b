import { Code, ConnectError } from '@connectrpc/connect';
import { decodeProtectedHeader } from 'jose';
import {
  createTestTarget,
  startAuthTestServer,
  type TestDatabaseTarget,
} from './testing/auth-test-harness';

describe('a restart of the auth service', () => {
  let target: TestDatabaseTarget;

  beforeAll(async () => {
    target = await createTestTarget();
  });
  afterAll(async () => {
    await target?.dispose();
  });

  it('keeps issued tokens valid and revoked tokens refused (same database, new process state)', async () => {
    const demo = { email: 'demo@switchboard.local', password: 'switchboard-demo' };
    let storage = await target.open();
    let t = await startAuthTestServer(storage);
    const kept = await t.client.login(demo);
    const revoked = await t.client.login(demo);
    await t.client.revokeToken({ accessToken: revoked.accessToken });
    const jwksBefore = (await t.client.getJwks({})).keysJson;
    await t.stop();
    await storage.close();

    storage = await target.open();
    t = await startAuthTestServer(storage);
    try {
      await expect(
        t.client.verifyToken({ accessToken: kept.accessToken }, await t.asService()),
      ).resolves.toMatchObject({
        userId: kept.userId,
      });
      const err = await t.client
        .verifyToken({ accessToken: revoked.accessToken }, await t.asService())
        .catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
      expect((await t.client.getJwks({})).keysJson).toBe(jwksBefore);
      // New tokens are signed by the same stored key.
      const fresh = await t.client.login(demo);
      expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(
        decodeProtectedHeader(kept.accessToken).kid,
      );
    } finally {
      await t.stop();
      await storage.close();
    }
  });
});
