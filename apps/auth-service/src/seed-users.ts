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
  /** SWITCHBOARD_ENV=development: only then is ADMIN_PASSWORD forced onto an existing admin. */
  development: boolean;
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
    const passwordMatches = await hasher.verify(existing.passwordHash, admin.password);
    if (existing.role !== 'admin') {
      // Someone registered this address before it became ADMIN_EMAIL: the
      // password is theirs, so it must not come with the admin role (replaced first).
      if (!passwordMatches) await accounts.setPassword(existing.userId, admin.password);
      await accounts.promoteToAdmin(existing.userId);
      logger.warn(
        { email: admin.email },
        'promoted the existing account at ADMIN_EMAIL to admin, with ADMIN_PASSWORD',
      );
    } else if (!passwordMatches) {
      if (options.development) {
        // On a laptop ADMIN_PASSWORD is the source of truth, so changing it takes effect.
        await accounts.setPassword(existing.userId, admin.password);
        logger.warn({ email: admin.email }, 'reset the admin password from ADMIN_PASSWORD');
      } else {
        // Anywhere else a restart must not undo a password the admin changed,
        // nor hand the account to whoever can set the environment.
        logger.warn(
          { email: admin.email },
          'kept the stored admin password, which differs from ADMIN_PASSWORD (that is used only to create the admin)',
        );
      }
    }
  }

  if (options.seedDemoData) {
    const demoCreated = await createIfMissing(accounts, { ...DEMO_CUSTOMER, role: 'customer' });
    if (demoCreated) logger.info({ email: DEMO_CUSTOMER.email }, 'seeded the demo customer');
  }
}
