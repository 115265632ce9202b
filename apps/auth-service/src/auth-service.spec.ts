import { randomUUID } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { Role, UserRegisteredSchema } from '@switchboard/contracts';
import { sql, type Storage } from '@switchboard/storage';
import { errorInfo, failure } from '@switchboard/testing';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { AuthDatabase } from './auth-schema';
import { DEMO_CUSTOMER } from './seed-users';
import {
  createAuthTestDatabase,
  startAuthTestServer,
  testSettings,
  type AuthTestServer,
} from './testing/auth-test-harness';
import { INVALID_TOKEN_MESSAGE } from './token-service';

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const newEmail = () => `user-${randomUUID()}@example.com`;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const USER_REGISTERED = 'switchboard.auth.v1.UserRegistered';

describe('AuthService', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;
  let t: AuthTestServer;

  beforeAll(async () => {
    storage = await database.open();
    t = await startAuthTestServer(storage);
  });

  afterAll(async () => {
    await t?.stop();
    await database.close();
  });

  const outboxRowsFor = (userId: string) =>
    storage.db
      .selectFrom('outbox')
      .select(['topic', 'key', 'type', 'payload'])
      .where('key', '=', userId)
      .execute();

  async function registerAndLogin(password = 'correct horse battery') {
    const email = newEmail();
    const { userId } = await t.client.register({ email, password, displayName: 'Ada' });
    const login = await t.client.login({ email, password });
    return { email, password, userId, login };
  }

  describe('Register', () => {
    it('stores a customer and its UserRegistered event in the outbox, keyed by user id', async () => {
      const email = newEmail();
      const { userId } = await t.client.register({
        email: `  ${email.toUpperCase()} `,
        password: 'a'.repeat(10),
        displayName: ' Grace Hopper ',
      });
      expect(userId).toMatch(/^[0-9a-f-]{36}$/);
      const user = await storage.db
        .selectFrom('users')
        .selectAll()
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      expect(user).toMatchObject({ email, display_name: 'Grace Hopper', role: 'customer' });
      expect(user.password_hash).toMatch(/^\$argon2id\$/);

      const rows = await outboxRowsFor(userId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        topic: 'identity.users.v1',
        key: userId,
        type: USER_REGISTERED,
      });
      const event = fromBinary(UserRegisteredSchema, rows[0]!.payload);
      expect(event).toMatchObject({
        userId,
        email,
        displayName: 'Grace Hopper',
        roles: [Role.CUSTOMER],
      });
      expect(timestampDate(event.registeredAt!).getTime()).toBe(user.created_at.getTime());
    });

    it('accepts a 128-character password', async () => {
      const email = newEmail();
      const password = 'é'.repeat(128);
      await t.client.register({ email, password, displayName: 'Long' });
      await expect(t.client.login({ email, password })).resolves.toMatchObject({
        accessToken: expect.any(String),
      });
    });

    it('answers ALREADY_EXISTS to an address taken in another case, and writes no second event', async () => {
      const email = newEmail();
      const { userId } = await t.client.register({
        email,
        password: 'password-one',
        displayName: 'A',
      });
      const outboxBefore = await storage.db.selectFrom('outbox').select('id').execute();
      const err = await failure(
        t.client.register({
          email: email.toUpperCase(),
          password: 'password-two',
          displayName: 'B',
        }),
      );
      expect(err.code).toBe(Code.AlreadyExists);
      expect(errorInfo(err).code).toBe('EMAIL_TAKEN');
      const outboxAfter = await storage.db.selectFrom('outbox').select('id').execute();
      expect(outboxAfter).toHaveLength(outboxBefore.length);
      const users = await storage.db
        .selectFrom('users')
        .select('user_id')
        .where('email', '=', email)
        .execute();
      expect(users).toEqual([{ user_id: userId }]);
    });

    it('lets exactly one of several concurrent registrations of one address win', async () => {
      const email = newEmail();
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          t.client.register({
            email: i % 2 ? email : email.toUpperCase(),
            password: 'password-x1',
            displayName: `R${i}`,
          }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (r.reason as ConnectError).code)).toEqual([
        Code.AlreadyExists,
        Code.AlreadyExists,
        Code.AlreadyExists,
      ]);
      const userId = (won[0] as PromiseFulfilledResult<{ userId: string }>).value.userId;
      expect(await outboxRowsFor(userId)).toHaveLength(1);
    });

    it('answers INVALID_ARGUMENT naming every bad field', async () => {
      const err = await failure(
        t.client.register({ email: 'not-an-email', password: 'short', displayName: ' ' }),
      );
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toContain('email:');
      expect(err.rawMessage).toContain('password: must be at least 10 characters');
      expect(err.rawMessage).toContain('display_name: is required');
      const tooLong = await failure(
        t.client.register({ email: newEmail(), password: 'x'.repeat(129), displayName: 'Z' }),
      );
      expect(tooLong.code).toBe(Code.InvalidArgument);
      expect(tooLong.rawMessage).toBe('password: must be at most 128 characters');
    });

    it('writes neither the user nor the event when the outbox insert fails', async () => {
      const email = newEmail();
      const usersBefore = await storage.db.selectFrom('users').select('user_id').execute();
      // Breaking the outbox makes the second write of the transaction fail.
      await sql`alter table outbox rename to outbox_broken`.execute(storage.db);
      try {
        const err = await failure(
          t.client.register({ email, password: 'password-ok', displayName: 'N' }),
        );
        expect(err.code).toBe(Code.Internal);
      } finally {
        await sql`alter table outbox_broken rename to outbox`.execute(storage.db);
      }
      const usersAfter = await storage.db.selectFrom('users').select('user_id').execute();
      expect(usersAfter).toHaveLength(usersBefore.length);
      expect(await t.auth.accounts.findByEmail(email)).toBeUndefined();
    });
  });

  describe('Login', () => {
    it('returns an ES256 access token with kid and every claim, valid for the configured lifetime', async () => {
      const { userId, login } = await registerAndLogin();
      expect(login.userId).toBe(userId);
      const header = decodeProtectedHeader(login.accessToken);
      const { kid } = await t.auth.keys.current();
      expect(header).toEqual({ alg: 'ES256', kid, typ: 'JWT' });
      const claims = decodeJwt(login.accessToken);
      expect(claims).toEqual({
        iss: testSettings.issuer,
        aud: testSettings.audience,
        sub: userId,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iat: expect.any(Number),
        nbf: claims.iat,
        exp: claims.iat! + testSettings.tokenTtlSeconds,
        roles: ['customer'],
      });
      expect(Math.abs(claims.iat! * 1000 - Date.now())).toBeLessThan(5_000);
      expect(timestampDate(login.expiresAt!).getTime()).toBe(claims.exp! * 1000);
    });

    it('takes the email in any case and with surrounding spaces', async () => {
      const res = await t.client.login({
        email: ` ${DEMO_CUSTOMER.email.toUpperCase()}`,
        password: DEMO_CUSTOMER.password,
      });
      expect(res.accessToken.split('.')).toHaveLength(3);
    });

    it('gives an unknown email and a wrong password the same answer', async () => {
      const wrong = await failure(
        t.client.login({ email: DEMO_CUSTOMER.email, password: 'not-the-password' }),
      );
      const unknown = await failure(
        t.client.login({ email: newEmail(), password: 'not-the-password' }),
      );
      for (const err of [wrong, unknown]) {
        expect(err.code).toBe(Code.Unauthenticated);
        expect(errorInfo(err).code).toBe('INVALID_CREDENTIALS');
      }
      expect(unknown.rawMessage).toBe(wrong.rawMessage);
    });

    it('spends about the same work on an unknown email as on a wrong password', async () => {
      // CPU time of this process (the server runs in it, argon2's thread
      // included), not wall time: a busy machine stretches the clock, not the
      // work. Without the decoy hash an unknown address costs next to nothing.
      const cpuMs = async (call: () => Promise<unknown>) => {
        const before = process.cpuUsage();
        await call().catch(() => undefined);
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1000;
      };
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        wrong.push(
          await cpuMs(() =>
            t.client.login({ email: DEMO_CUSTOMER.email, password: `wrong-pass-${i}` }),
          ),
        );
        unknown.push(
          await cpuMs(() => t.client.login({ email: newEmail(), password: `wrong-pass-${i}` })),
        );
      }
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
      expect(median(wrong)).toBeGreaterThan(median(unknown) * 0.5);
    });

    it('answers INVALID_ARGUMENT when email or password is missing', async () => {
      const err = await failure(t.client.login({ email: '', password: '' }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.rawMessage).toBe('email: is required; password: is required');
      // Longer than any account can have: refused before the throttle table or the hasher.
      const tooLong = await failure(
        t.client.login({ email: `${'a'.repeat(300)}@example.com`, password: 'p'.repeat(129) }),
      );
      expect(tooLong.code).toBe(Code.InvalidArgument);
      expect(tooLong.rawMessage).toBe(
        'email: must be at most 254 characters; password: must be at most 128 characters',
      );
      const throttled = await storage.db
        .selectFrom('login_account_budgets')
        .select('email')
        .execute();
      expect(throttled.filter((r) => r.email.length > 254)).toEqual([]);
    });

    it('never logs the password or the token', async () => {
      const { password, login } = await registerAndLogin('never-log-this-secret');
      await failure(
        t.client.login({ email: DEMO_CUSTOMER.email, password: 'wrong-and-secret-too' }),
      );
      await t.client.verifyToken({ accessToken: login.accessToken }, await t.asService());
      await t.client.revokeToken({ accessToken: login.accessToken });
      const logs = t.logText();
      expect(logs).toContain('login succeeded');
      expect(logs).not.toContain(password);
      expect(logs).not.toContain('wrong-and-secret-too');
      expect(logs).not.toContain(login.accessToken.split('.')[2]);
    });
  });

  describe('VerifyToken', () => {
    it('answers the user, the roles and the expiry of a valid token', async () => {
      const { userId, login } = await registerAndLogin();
      const verified = await t.client.verifyToken(
        { accessToken: login.accessToken },
        await t.asService(),
      );
      expect(verified.userId).toBe(userId);
      expect(verified.roles).toEqual([Role.CUSTOMER]);
      expect(verified.expiresAt).toEqual(login.expiresAt);
    });

    it('answers the admin role for the seeded admin', async () => {
      const login = await t.client.login({
        email: testSettings.adminEmail,
        password: testSettings.adminPassword,
      });
      const verified = await t.client.verifyToken(
        { accessToken: login.accessToken },
        await t.asService(),
      );
      expect(verified.roles).toEqual([Role.ADMIN]);
    });

    it('answers UNAUTHENTICATED to an empty or garbage token', async () => {
      for (const accessToken of ['', 'garbage', 'a.b.c', 'x'.repeat(5000)]) {
        const err = await failure(t.client.verifyToken({ accessToken }, await t.asService()));
        expect(err.code).toBe(Code.Unauthenticated);
        expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
      }
    });

    it('answers services only: a person gets PERMISSION_DENIED, no token UNAUTHENTICATED', async () => {
      const { login } = await registerAndLogin();
      const admin = await t.client.login({
        email: testSettings.adminEmail,
        password: testSettings.adminPassword,
      });
      for (const caller of [login.accessToken, admin.accessToken]) {
        const err = await failure(
          t.client.verifyToken({ accessToken: login.accessToken }, bearer(caller)),
        );
        expect([err.code, err.rawMessage]).toEqual([
          Code.PermissionDenied,
          'switchboard.auth.v1.AuthService/VerifyToken is internal: only services may call it',
        ]);
      }
      const anonymous = await failure(t.client.verifyToken({ accessToken: login.accessToken }));
      expect(anonymous.code).toBe(Code.Unauthenticated);
      // A stale service token is told apart from a bad token asked about.
      const stale = await failure(
        t.client.verifyToken({ accessToken: login.accessToken }, bearer('not-a-token')),
      );
      expect(errorInfo(stale).code).toBe('SERVICE_TOKEN_INVALID');
    });
  });

  describe('IssueServiceToken', () => {
    const [clientId, clientSecret] = [...testSettings.serviceClients][0]!;

    it('gives a known service a token whose subject is the service and whose only role is service', async () => {
      const issued = await t.client.issueServiceToken({ clientId, clientSecret });
      const verified = await t.client.verifyToken(
        { accessToken: issued.accessToken },
        await t.asService(),
      );
      expect(verified.userId).toBe('order-service');
      expect(verified.roles).toEqual([Role.SERVICE]);
      expect(verified.expiresAt).toEqual(issued.expiresAt);
      expect(decodeJwt(issued.accessToken)).toMatchObject({
        sub: 'order-service',
        roles: ['service'],
      });
    });

    it('refuses a wrong secret and an unknown service alike, and names empty fields', async () => {
      for (const request of [
        { clientId, clientSecret: `${clientSecret}x` },
        { clientId: 'inventory-service', clientSecret },
        { clientId: 'nobody', clientSecret },
      ]) {
        const err = await failure(t.client.issueServiceToken(request));
        expect([err.code, err.rawMessage, errorInfo(err).code]).toEqual([
          Code.Unauthenticated,
          'unknown service or wrong service secret',
          'INVALID_SERVICE_CREDENTIALS',
        ]);
      }
      const empty = await failure(t.client.issueServiceToken({}));
      expect([empty.code, empty.rawMessage]).toEqual([
        Code.InvalidArgument,
        'client_id: is required; client_secret: is required',
      ]);
    });

    it('never logs the secret or the token', async () => {
      const issued = await t.client.issueServiceToken({ clientId, clientSecret });
      await failure(t.client.issueServiceToken({ clientId, clientSecret: 'a-guessed-secret' }));
      const logs = t.logText();
      expect(logs).toContain('service token issued');
      expect(logs).not.toContain(clientSecret);
      expect(logs).not.toContain('a-guessed-secret');
      expect(logs).not.toContain(issued.accessToken.split('.')[2]);
    });
  });

  describe('RevokeToken', () => {
    it('makes VerifyToken refuse the token from then on, and only that token', async () => {
      const { email, password, login } = await registerAndLogin();
      const other = await t.client.login({ email, password });
      await t.client.revokeToken({ accessToken: login.accessToken });
      const err = await failure(
        t.client.verifyToken({ accessToken: login.accessToken }, await t.asService()),
      );
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
      await expect(
        t.client.verifyToken({ accessToken: other.accessToken }, await t.asService()),
      ).resolves.toBeDefined();
      // Revoking again is harmless.
      await expect(t.client.revokeToken({ accessToken: login.accessToken })).resolves.toEqual(
        expect.objectContaining({}),
      );
    });

    it('answers UNAUTHENTICATED to a token that is not ours', async () => {
      const err = await failure(t.client.revokeToken({ accessToken: 'a.b.c' }));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
    });

    it('accepts an expired token of ours without storing it, and deletes revocations that expired', async () => {
      const { kid, privateKey } = await t.auth.keys.current();
      const now = Math.floor(Date.now() / 1000);
      const jti = randomUUID();
      const expired = await new SignJWT({ roles: ['customer'] })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(testSettings.issuer)
        .setAudience(testSettings.audience)
        .setSubject(randomUUID())
        .setJti(jti)
        .setIssuedAt(now - 1000)
        .setNotBefore(now - 1000)
        .setExpirationTime(now - 100)
        .sign(privateKey);
      const stale = randomUUID();
      await storage.db
        .insertInto('revoked_tokens')
        .values({ jti: stale, expires_at: new Date(Date.now() - 1_000) })
        .execute();

      await t.client.revokeToken({ accessToken: expired });
      expect(
        await storage.db
          .selectFrom('revoked_tokens')
          .select('jti')
          .where('jti', '=', jti)
          .execute(),
      ).toEqual([]);

      const { login } = await registerAndLogin();
      await t.client.revokeToken({ accessToken: login.accessToken });
      const jtis = (await storage.db.selectFrom('revoked_tokens').select('jti').execute()).map(
        (r) => r.jti,
      );
      expect(jtis).toContain(decodeJwt(login.accessToken).jti);
      expect(jtis).not.toContain(stale);
    });
  });

  describe('GetJwks', () => {
    it('publishes the public signing key under the kid of issued tokens, with no private member', async () => {
      const { login } = await registerAndLogin();
      const { keysJson } = await t.client.getJwks({});
      const jwks = JSON.parse(keysJson) as { keys: Record<string, unknown>[] };
      const { kid } = decodeProtectedHeader(login.accessToken);
      expect(jwks.keys.map((k) => k['kid'])).toContain(kid);
      for (const key of jwks.keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
        expect(key).not.toHaveProperty('d');
      }
    });
  });

  describe('a bearer token sent to this service', () => {
    it('is checked locally: a bad one is UNAUTHENTICATED even on a public method, a good one passes', async () => {
      const { login } = await registerAndLogin();
      await expect(t.client.getJwks({}, bearer(login.accessToken))).resolves.toBeDefined();
      const err = await failure(t.client.getJwks({}, bearer('forged.token.here')));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toBe(INVALID_TOKEN_MESSAGE);
    });
  });
});
