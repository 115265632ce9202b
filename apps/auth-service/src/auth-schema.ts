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

export interface LoginFailuresTable {
  email: string;
  failures: number;
  last_failure_at: Date;
}

/** The outbox tables come with it: events are written in the same transactions. */
export interface AuthDatabase extends OutboxDatabase {
  users: UsersTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  login_failures: LoginFailuresTable;
}
