import { Role } from '@switchboard/contracts';
import type { Storage } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { DEMO_CUSTOMER } from './seed-users';
import {
  createAuthTestDatabase,
  startAuthTestServer,
  testSettings,
  type AuthTestServer,
} from './testing/auth-test-harness';

const USER_REGISTERED = 'switchboard.auth.v1.UserRegistered';

describe('seeding users', () => {
  const database = createAuthTestDatabase();
  let storage: Storage<AuthDatabase>;

  beforeAll(async () => {
    storage = await database.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await storage.db.deleteFrom('outbox').execute();
    await storage.db.deleteFrom('users').execute();
  });

  const users = () =>
    storage.db.selectFrom('users').select(['email', 'role', 'user_id']).orderBy('email').execute();
  const events = () =>
    storage.db.selectFrom('outbox').select(['key', 'type']).orderBy('id').execute();

  it('creates the admin and the demo customer once, with one UserRegistered each, however often it runs', async () => {
    const t = await startAuthTestServer(storage);
    try {
      // Replicas starting together on an empty database, then a later restart.
      await storage.db.deleteFrom('outbox').execute();
      await storage.db.deleteFrom('users').execute();
      await Promise.all([t.auth.seed(), t.auth.seed(), t.auth.seed()]);
      await t.auth.seed();
      const rows = await users();
      expect(rows.map((u) => [u.email, u.role])).toEqual([
        [testSettings.adminEmail, 'admin'],
        [DEMO_CUSTOMER.email, 'customer'],
      ]);
      const outbox = await events();
      expect(outbox.map((e) => e.type)).toEqual([USER_REGISTERED, USER_REGISTERED]);
      expect(outbox.map((e) => e.key).sort()).toEqual(rows.map((u) => u.user_id).sort());

      const admin = await t.client.login({
        email: testSettings.adminEmail,
        password: testSettings.adminPassword,
      });
      expect(
        (await t.client.verifyToken({ accessToken: admin.accessToken }, await t.asService())).roles,
      ).toEqual([Role.ADMIN]);
      const demo = await t.client.login({
        email: DEMO_CUSTOMER.email,
        password: DEMO_CUSTOMER.password,
      });
      expect(
        (await t.client.verifyToken({ accessToken: demo.accessToken }, await t.asService())).roles,
      ).toEqual([Role.CUSTOMER]);
    } finally {
      await t.stop();
    }
  });

  it('skips the demo customer when demo data is off', async () => {
    const t = await startAuthTestServer(storage, { seedDemoData: false });
    await t.stop();
    expect((await users()).map((u) => u.email)).toEqual([testSettings.adminEmail]);
  });

  it('resets an existing admin to ADMIN_PASSWORD in development only; elsewhere keeps it and warns', async () => {
    const first = await startAuthTestServer(storage, { seedDemoData: false });
    await first.stop();
    const changed = 'a-new-admin-password';
    const login = (t: AuthTestServer, password: string) =>
      t.client.login({ email: testSettings.adminEmail, password }).then(
        () => true,
        () => false,
      );

    const production = await startAuthTestServer(storage, {
      seedDemoData: false,
      development: false,
      adminPassword: changed,
    });
    try {
      expect(await login(production, testSettings.adminPassword)).toBe(true);
      expect(await login(production, changed)).toBe(false);
      expect(production.logText()).toContain('kept the stored admin password');
      expect(production.logText()).not.toContain(changed);
    } finally {
      await production.stop();
    }

    const development = await startAuthTestServer(storage, {
      seedDemoData: false,
      development: true,
      adminPassword: changed,
    });
    try {
      expect(await login(development, changed)).toBe(true);
      expect(development.logText()).toContain('reset the admin password from ADMIN_PASSWORD');
    } finally {
      await development.stop();
    }
  });

  it.each([true, false])(
    'promotes an existing account at ADMIN_EMAIL without a new event, and gives it ADMIN_PASSWORD (development %s)',
    async (development) => {
      const first = await startAuthTestServer(storage, { seedDemoData: false });
      const { userId } = await first.client.register({
        email: 'boss@example.com',
        password: 'chosen-by-the-customer',
        displayName: 'Boss',
      });
      await first.stop();
      const eventsBefore = await events();

      const t = await startAuthTestServer(storage, {
        seedDemoData: false,
        development,
        adminEmail: 'boss@example.com',
        adminPassword: 'configured-admin-password',
      });
      try {
        expect((await users()).find((u) => u.user_id === userId)?.role).toBe('admin');
        expect(await events()).toEqual(eventsBefore);
        await expect(
          t.client.login({ email: 'boss@example.com', password: 'chosen-by-the-customer' }),
        ).rejects.toThrow();
        const login = await t.client.login({
          email: 'boss@example.com',
          password: 'configured-admin-password',
        });
        expect(
          (await t.client.verifyToken({ accessToken: login.accessToken }, await t.asService()))
            .roles,
        ).toEqual([Role.ADMIN]);
      } finally {
        await t.stop();
      }
    },
  );
});
