import type { OutboxDatabase } from '@switchboard/event-bus';
import type { ColumnType } from '@switchboard/storage';

export type UserRole = 'admin' | 'customer';

export interface UsersTable {
  user_id: string;
  /** Stored lower-cased, so uniqueness ignores case. */
  email: string;
  display_name: string;
  /** argon2id, PHC string format (algorithm, parameters and salt included). */
  password_hash: string;
  role: UserRole;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  /** AES-256-GCM sealed (key-encryption.ts); plain JSON only in rows from before encryption. */
  private_jwk: string;
  public_jwk: string;
  created_at: ColumnType<Date, Date | undefined, never>;
  /** Set when a newer key takes over signing; the key still verifies until its tokens expire. */
  retired_at: Date | null;
  /** Set by RevokeSigningKey: the key verifies nothing from then on. */
  revoked_at: Date | null;
}

export interface RevokedTokensTable {
  jti: string;
  /** The token's own expiry: after it the row can go, as the token is dead anyway. */
  expires_at: Date;
}

/** One token bucket of failed logins per account (login-throttle.ts); no row means a full bucket. */
export interface LoginAccountBudgetsTable {
  email: string;
  tokens: number;
  updated_at: Date;
}

/** Addresses an account logged in from lately: the account-wide budgets do not apply to them. */
export interface LoginKnownAddressesTable {
  email: string;
  address: string;
  last_login_at: Date;
}

/** The outbox tables come with it: events are written in the same transactions. */
export interface AuthDatabase extends OutboxDatabase {
  users: UsersTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  login_account_budgets: LoginAccountBudgetsTable;
  login_known_addresses: LoginKnownAddressesTable;
}
