import { isDomainError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import type { PasswordHasher } from './password-hasher';
import type { NewUser, UserAccounts } from './user-accounts';

export const DEMO_CUSTOMER = {
  email: 'demo@switchboard.local',
  password: 'switchboard-demo',
  displayName: 'Demo Customer',
} as const;

export interface SeedUsersOptions {
  accounts: UserAccounts;
  hasher: PasswordHasher;
  logger: Logger;
  admin: { email: string; password: string };
  seedDemoData: boolean;
}

/** Creates the user, or returns false when the address is already taken (by an earlier start or a racing replica). */
async function createIfMissing(accounts: UserAccounts, user: NewUser): Promise<boolean> {
  try {
    await accounts.register(user);
    return true;
  } catch (err) {
    if (isDomainError(err) && err.code === 'EMAIL_TAKEN') return false;
    throw err;
  }
}

/**
 * Runs at every start and may run on several replicas at once, so each step
 * is idempotent: an existing user is never created twice and UserRegistered
 * is emitted only by the start that created the account.
 */
export async function seedUsers(options: SeedUsersOptions): Promise<void> {
  const { accounts, hasher, logger, admin } = options;

  const adminCreated = await createIfMissing(accounts, {
    email: admin.email,
    password: admin.password,
    displayName: 'Administrator',
    role: 'admin',
  });
  if (adminCreated) {
    logger.info({ email: admin.email }, 'seeded the admin user');
  } else {
    const existing = await accounts.findByEmail(admin.email);
    if (!existing) throw new Error(`admin ${admin.email} vanished while seeding`);
    if (existing.role !== 'admin') {
      await accounts.promoteToAdmin(existing.userId);
      logger.warn({ email: admin.email }, 'promoted the existing account at ADMIN_EMAIL to admin');
    }
    // ADMIN_PASSWORD is the source of truth: changing it must take effect, and
    // an account someone registered before its address became ADMIN_EMAIL must
    // not keep a password that person chose.
    if (!(await hasher.verify(existing.passwordHash, admin.password))) {
      await accounts.setPassword(existing.userId, admin.password);
      logger.warn({ email: admin.email }, 'reset the admin password from ADMIN_PASSWORD');
    }
  }

  if (options.seedDemoData) {
    const demoCreated = await createIfMissing(accounts, { ...DEMO_CUSTOMER, role: 'customer' });
    if (demoCreated) logger.info({ email: DEMO_CUSTOMER.email }, 'seeded the demo customer');
  }
}
