import type { Kysely } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';

export interface LoginThrottleSettings {
  /** Failures answered without delay. */
  freeAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
}

export const defaultLoginThrottleSettings: LoginThrottleSettings = {
  freeAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  windowMs: 15 * 60_000,
};

export interface LoginThrottle {
  /**
   * Counts this attempt as a failure up front and returns how long to hold
   * its answer, from the failures before it. Counting first means parallel
   * guesses each see a higher count, instead of all sharing the first delay.
   */
  admit(email: string): Promise<number>;
  /** The password was right: the failures are forgotten. */
  reset(email: string): Promise<void>;
}

/** The delay after `failures` recent failures: none for the free ones, then doubling up to the cap. */
export function backoffDelayMs(failures: number, settings: LoginThrottleSettings): number {
  const excess = failures - settings.freeAttempts;
  if (excess < 0) return 0;
  // Capped before exponentiating, so a huge count cannot overflow to Infinity.
  return Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.min(excess, 30));
}

/**
 * Exponential back-off per email, kept in the database so that every replica
 * and a restart see the same count. The delay applies to every answer for that
 * email — right or wrong password, known or unknown address — so a guesser can
 * neither tell a hit by speed nor learn which addresses exist.
 */
export function createLoginThrottle(
  db: Kysely<AuthDatabase>,
  settings: LoginThrottleSettings,
): LoginThrottle {
  return {
    async admit(email) {
      const now = new Date();
      const windowStart = new Date(now.getTime() - settings.windowMs);
      const row = await db
        .insertInto('login_failures')
        .values({ email, failures: 1, last_failure_at: now })
        .onConflict((oc) =>
          oc.column('email').doUpdateSet((eb) => ({
            // A failure after a quiet window starts counting again.
            failures: eb
              .case()
              .when('login_failures.last_failure_at', '<', windowStart)
              .then(1)
              .else(eb('login_failures.failures', '+', 1))
              .end(),
            last_failure_at: now,
          })),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      // Rows of addresses nobody tried for a whole window are dead weight
      // (and an attacker spraying random addresses would otherwise grow the table).
      await db.deleteFrom('login_failures').where('last_failure_at', '<', windowStart).execute();
      return backoffDelayMs(row.failures - 1, settings);
    },

    async reset(email) {
      await db.deleteFrom('login_failures').where('email', '=', email).execute();
    },
  };
}
