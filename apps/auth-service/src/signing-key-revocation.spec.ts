import { Code } from '@connectrpc/connect';
import type { Storage } from '@switchboard/storage';
import { errorInfo, failure } from '@switchboard/testing';
import { decodeProtectedHeader } from 'jose';
import type { AuthDatabase } from './auth-schema';
import { DEMO_CUSTOMER } from './seed-users';
import {
  createAuthTestDatabase,
  startAuthTestServer,
  testSettings,
  type AuthTestServer,
} from './testing/auth-test-harness';
import { INVALID_TOKEN_MESSAGE } from './token-service';

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;

describe('RevokeSigningKey and ListSigningKeys', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;
  /** Two replicas of the service over one database, each with its own key cache. */
  let replica: AuthTestServer;
  let other: AuthTestServer;

  beforeAll(async () => {
    storage = await database.open();
    replica = await startAuthTestServer(storage);
    other = await startAuthTestServer(storage);
  });
  afterAll(async () => {
    await other?.stop();
    await replica?.stop();
    await database.close();
  });

  const adminToken = async () =>
    (
      await replica.client.login({
        email: testSettings.adminEmail,
        password: testSettings.adminPassword,
      })
    ).accessToken;
  const demoToken = async () =>
    (await replica.client.login({ email: DEMO_CUSTOMER.email, password: DEMO_CUSTOMER.password }))
      .accessToken;

  it('is for the admin only', async () => {
    const customer = await demoToken();
    for (const call of [
      replica.client.listSigningKeys({}, bearer(customer)),
      replica.client.revokeSigningKey({ keyId: kidOf(customer) }, bearer(customer)),
    ]) {
      expect((await failure(call)).code).toBe(Code.PermissionDenied);
    }
    expect((await failure(replica.client.listSigningKeys({}))).code).toBe(Code.Unauthenticated);
    // The customer's key is untouched.
    await expect(
      replica.client.verifyToken({ accessToken: customer }, await replica.asService()),
    ).resolves.toBeDefined();
  });

  it('revokes the current key: rotates, and its tokens stop verifying at every replica at once', async () => {
    const admin = await adminToken();
    const customer = await demoToken();
    const revoked = kidOf(customer);
    // The other replica has checked the token, so it holds the key in its cache.
    await expect(
      other.client.verifyToken({ accessToken: customer }, await other.asService()),
    ).resolves.toBeDefined();

    const listed = await replica.client.listSigningKeys({}, bearer(admin));
    expect(listed.keys.find((k) => k.current)?.keyId).toBe(revoked);

    const answer = await replica.client.revokeSigningKey({ keyId: revoked }, bearer(admin));
    expect(answer.newKeyId).not.toBe('');
    expect(answer.newKeyId).not.toBe(revoked);
    expect(answer.revokedAt).toBeDefined();

    for (const server of [replica, other]) {
      const err = await failure(
        server.client.verifyToken({ accessToken: customer }, await server.asService()),
      );
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
    }
    // The admin's own token was signed by it too: the admin logs in again.
    expect((await failure(replica.client.listSigningKeys({}, bearer(admin)))).code).toBe(
      Code.Unauthenticated,
    );
    const fresh = await demoToken();
    expect(kidOf(fresh)).toBe(answer.newKeyId);
    await expect(
      other.client.verifyToken({ accessToken: fresh }, await other.asService()),
    ).resolves.toBeDefined();

    const jwks = JSON.parse((await other.client.getJwks({})).keysJson) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(revoked);
    const after = await replica.client.listSigningKeys({}, bearer(await adminToken()));
    expect(after.keys.map((k) => [k.keyId, k.current, k.revokedAt !== undefined])).toEqual(
      expect.arrayContaining([
        [answer.newKeyId, true, false],
        [revoked, false, true],
      ]),
    );
  });

  it('answers NOT_FOUND for an unknown key and INVALID_ARGUMENT for an empty one', async () => {
    const admin = await adminToken();
    const unknown = await failure(
      replica.client.revokeSigningKey({ keyId: 'no-such-key' }, bearer(admin)),
    );
    expect(unknown.code).toBe(Code.NotFound);
    expect(errorInfo(unknown).code).toBe('SIGNING_KEY_NOT_FOUND');
    const empty = await failure(replica.client.revokeSigningKey({ keyId: ' ' }, bearer(admin)));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.rawMessage).toBe('key_id: is required');
  });
});
