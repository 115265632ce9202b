import { outboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createUsers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      // Named, so a duplicate e-mail is told apart from any other unique violation.
      .addUniqueConstraint('users_email_key', ['email'])
      // The unique constraint only ignores case if every writer lower-cases: enforce it here.
      .addCheckConstraint('users_email_lower_case', sql`email = lower(email)`)
      .addCheckConstraint('users_role_known', sql`role in ('admin', 'customer')`)
      .execute();
  },
};

const createSigningKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('retired_at', 'timestamptz')
      .execute();
    // At most one key signs at a time, even when two replicas race to create one.
    await sql`create unique index signing_keys_one_active on signing_keys ((true)) where retired_at is null`.execute(
      db,
    );
  },
};

const createRevokedTokens: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('revoked_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // The clean-up deletes by expiry.
    await db.schema
      .createIndex('revoked_tokens_expires_at')
      .on('revoked_tokens')
      .column('expires_at')
      .execute();
  },
};

const createLoginFailures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('login_failures')
      .addColumn('email', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('last_failure_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('login_failures_last_failure_at')
      .on('login_failures')
      .column('last_failure_at')
      .execute();
  },
};

const addSigningKeyRevocation: Migration = {
  async up(db: Kysely<unknown>) {
    // Private keys are sealed by SigningKeys.unlock() at start, not here: a
    // migration has no access to AUTH_KEY_ENCRYPTION_KEY.
    await db.schema.alterTable('signing_keys').addColumn('revoked_at', 'timestamptz').execute();
  },
};

const replaceLoginFailuresWithBudgets: Migration = {
  async up(db: Kysely<unknown>) {
    // The back-off counts are dropped: at worst a guesser gets one fresh budget.
    await db.schema.dropTable('login_failures').execute();
    await db.schema
      .createTable('login_account_budgets')
      .addColumn('email', 'text', (c) => c.primaryKey())
      .addColumn('tokens', 'double precision', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    // Full buckets are deleted by age.
    await db.schema
      .createIndex('login_account_budgets_updated_at')
      .on('login_account_budgets')
      .column('updated_at')
      .execute();
    await db.schema
      .createTable('login_known_addresses')
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('last_login_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('login_known_addresses_pkey', ['email', 'address'])
      .execute();
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The outbox's own migration (0000_create_outbox) comes first.
 */
export const migrations: Record<string, Migration> = {
  ...outboxMigrations,
  '0001_create_users': createUsers,
  '0002_create_signing_keys': createSigningKeys,
  '0003_create_revoked_tokens': createRevokedTokens,
  '0004_create_login_failures': createLoginFailures,
  '0005_add_signing_key_revocation': addSigningKeyRevocation,
  '0006_replace_login_failures_with_budgets': replaceLoginFailuresWithBudgets,
};
