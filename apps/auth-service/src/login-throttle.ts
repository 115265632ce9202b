import { DomainError } from '@switchboard/errors';
import type { Kysely } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { createMemoryBuckets } from './memory-buckets';
import { fullAfterMs, returnToken, takeToken, type BucketSettings } from './token-bucket';

export interface LoginThrottleSettings {
  /** Failed logins per client address, any account (in memory, per replica). */
  perAddress: BucketSettings;
  /** Failed logins per account from addresses it was never used from (in the database). */
  perAccount: BucketSettings;
  /** Failed logins from such addresses in total (in memory, per replica). */
  global: BucketSettings;
  /** How long a successful login makes its address known to the account. */
  knownAddressMs: number;
}

export const defaultLoginThrottleSettings: LoginThrottleSettings = {
  // 20 mistakes at once, then one every 30 s: no person types that badly.
  perAddress: { capacity: 20, refillEveryMs: 30_000 },
  // At most about 700 guesses a day at one password, from however many addresses.
  perAccount: { capacity: 10, refillEveryMs: 120_000 },
  // Bounds the argon2 work a spray of many addresses can cost one replica.
  global: { capacity: 200, refillEveryMs: 50 },
  knownAddressMs: 30 * 24 * 3_600_000,
};

export interface LoginAttempt {
  /**
   * The password was right: the attempt is given back to every budget it
   * took from, and the address becomes known to the account.
   */
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Counts the attempt before the password is checked (so parallel guesses
   * each pay), or throws LOGIN_RATE_LIMITED at once, with the wait in the
   * message and in `retryAfterMs`. It never sleeps: a caller is answered well
   * within any deadline, and can retry when told.
   */
  admit(email: string, address: string): Promise<LoginAttempt>;
}

function rateLimited(why: string, retryAfterMs: number): DomainError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new DomainError('LOGIN_RATE_LIMITED', `${why}; try again in ${seconds} s`, {
    details: { retryAfterMs },
  });
}

/**
 * Three budgets of failed logins, as token buckets (token-bucket.ts):
 *
 * - per client address, every account: one source cannot guess fast at
 *   anything. In memory: per replica is acceptable, since replicas only
 *   multiply it.
 * - per account, in the database so that every replica and a restart share
 *   it: many sources together cannot guess fast at one password.
 * - global, in memory: a spray across many accounts and addresses cannot
 *   burn the CPU on argon2.
 *
 * The account and global budgets apply only to addresses the account has not
 * logged in from lately. That is what stops a lockout: whoever exhausts an
 * account's budget (a few wrong guesses used to be enough to hold the admin's
 * answers for seconds) shuts out other unknown addresses, not the owner at an
 * address that worked before, whose own budget is all that counts. A
 * guesser gains nothing from it: an address becomes known only by logging in
 * to that account with its right password. The owner at a new address during
 * an attack is told when to retry, at once, and without a password check, so
 * a refusal says nothing about the password.
 *
 * Budgets count by normalised email whether or not the account exists, so
 * the limits do not tell which addresses are registered. A success gives its
 * tokens back: only failures are limited.
 */
export function createLoginThrottle(
  db: Kysely<AuthDatabase>,
  settings: LoginThrottleSettings,
  now: () => number,
): LoginThrottle {
  const perAddress = createMemoryBuckets({ settings: settings.perAddress, now });
  const global = createMemoryBuckets({ settings: settings.global, now });
  const accountForgetMs = fullAfterMs(settings.perAccount);

  async function isKnown(email: string, address: string): Promise<boolean> {
    const row = await db
      .selectFrom('login_known_addresses')
      .select('last_login_at')
      .where('email', '=', email)
      .where('address', '=', address)
      .executeTakeFirst();
    return row !== undefined && now() - row.last_login_at.getTime() < settings.knownAddressMs;
  }

  /** Takes from the account's bucket under a row lock, so replicas and parallel calls each pay. */
  async function takeFromAccount(email: string) {
    return db.transaction().execute(async (trx) => {
      const nowMs = now();
      await trx
        .insertInto('login_account_budgets')
        .values({ email, tokens: settings.perAccount.capacity, updated_at: new Date(nowMs) })
        .onConflict((oc) => oc.column('email').doNothing())
        .execute();
      const row = await trx
        .selectFrom('login_account_budgets')
        .select(['tokens', 'updated_at'])
        .where('email', '=', email)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const take = takeToken(
        { tokens: row.tokens, updatedAt: row.updated_at.getTime() },
        nowMs,
        settings.perAccount,
      );
      if (take.allowed) {
        await trx
          .updateTable('login_account_budgets')
          .set({ tokens: take.state.tokens, updated_at: new Date(nowMs) })
          .where('email', '=', email)
          .execute();
      }
      // A bucket full again is the same as none: a spray of made-up emails
      // must not grow the table for ever.
      await trx
        .deleteFrom('login_account_budgets')
        .where('updated_at', '<', new Date(nowMs - accountForgetMs))
        .execute();
      return take;
    });
  }

  async function giveBackToAccount(email: string) {
    await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('login_account_budgets')
        .select(['tokens', 'updated_at'])
        .where('email', '=', email)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return;
      const nowMs = now();
      const state = returnToken(
        { tokens: row.tokens, updatedAt: row.updated_at.getTime() },
        nowMs,
        settings.perAccount,
      );
      await trx
        .updateTable('login_account_budgets')
        .set({ tokens: state.tokens, updated_at: new Date(nowMs) })
        .where('email', '=', email)
        .execute();
    });
  }

  async function remember(email: string, address: string) {
    const at = new Date(now());
    await db
      .insertInto('login_known_addresses')
      .values({ email, address, last_login_at: at })
      .onConflict((oc) => oc.columns(['email', 'address']).doUpdateSet({ last_login_at: at }))
      .execute();
    await db
      .deleteFrom('login_known_addresses')
      .where('email', '=', email)
      .where('last_login_at', '<', new Date(at.getTime() - settings.knownAddressMs))
      .execute();
  }

  return {
    async admit(email, address) {
      const fromAddress = perAddress.take(address);
      if (!fromAddress.allowed) {
        throw rateLimited('too many failed logins from your address', fromAddress.retryAfterMs);
      }
      const known = await isKnown(email, address);
      if (!known) {
        const total = global.take('');
        if (!total.allowed) {
          perAddress.giveBack(address);
          throw rateLimited('too many failed logins at this service', total.retryAfterMs);
        }
        const account = await takeFromAccount(email);
        if (!account.allowed) {
          perAddress.giveBack(address);
          global.giveBack('');
          throw rateLimited(
            'too many failed logins for this account from new addresses',
            account.retryAfterMs,
          );
        }
      }
      return {
        async succeeded() {
          perAddress.giveBack(address);
          if (!known) {
            global.giveBack('');
            await giveBackToAccount(email);
          }
          await remember(email, address);
        },
      };
    },
  };
}
