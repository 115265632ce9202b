import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { UserRegisteredSchema } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { appendToOutbox } from '@switchboard/event-bus';
import { isUniqueViolation, type Kysely } from '@switchboard/storage';
import type { AuthDatabase, UserRole } from './auth-schema';
import type { PasswordHasher } from './password-hasher';
import { toProtoRole } from './roles';

export interface NewUser {
  /** Already normalised (lower-cased) and validated. */
  email: string;
  password: string;
  displayName: string;
  role: UserRole;
}

export interface StoredUser {
  userId: string;
  email: string;
  passwordHash: string;
  role: UserRole;
}

export interface UserAccounts {
  /**
   * Stores the user and its UserRegistered event in one transaction: both or
   * neither. EMAIL_TAKEN when the address is in use, decided by the unique
   * index so two concurrent registrations cannot both win.
   */
  register(user: NewUser): Promise<{ userId: string }>;
  findByEmail(email: string): Promise<StoredUser | undefined>;
  /** Makes the user an admin; no event, as the account already exists. */
  promoteToAdmin(userId: string): Promise<void>;
  setPassword(userId: string, password: string): Promise<void>;
}

/** Index name from migrations.ts: only this violation means "email taken". */
const EMAIL_UNIQUE = 'users_email_key';

export function createUserAccounts(
  db: Kysely<AuthDatabase>,
  hasher: PasswordHasher,
  options: { source: string },
): UserAccounts {
  return {
    async register(user) {
      // Hashed before the transaction, which should not stay open for a slow hash.
      const passwordHash = await hasher.hash(user.password);
      const userId = crypto.randomUUID();
      const registeredAt = new Date();
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({
              user_id: userId,
              email: user.email,
              display_name: user.displayName,
              password_hash: passwordHash,
              role: user.role,
              created_at: registeredAt,
            })
            .execute();
          const event = create(UserRegisteredSchema, {
            userId,
            email: user.email,
            displayName: user.displayName,
            roles: [toProtoRole(user.role)],
            registeredAt: timestampFromDate(registeredAt),
          });
          await appendToOutbox(trx, [event], { source: options.source });
        });
      } catch (err) {
        if (isUniqueViolation(err, EMAIL_UNIQUE)) {
          throw new DomainError('EMAIL_TAKEN', 'an account with this email already exists', {
            cause: err,
          });
        }
        throw err;
      }
      return { userId };
    },

    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .select(['user_id', 'email', 'password_hash', 'role'])
        .where('email', '=', email)
        .executeTakeFirst();
      return row
        ? { userId: row.user_id, email: row.email, passwordHash: row.password_hash, role: row.role }
        : undefined;
    },

    async promoteToAdmin(userId) {
      await db.updateTable('users').set({ role: 'admin' }).where('user_id', '=', userId).execute();
    },

    async setPassword(userId, password) {
      const passwordHash = await hasher.hash(password);
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash })
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
