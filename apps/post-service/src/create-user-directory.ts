import { DomainError } from '@switchboard/errors';
import type { Kysely } from '@switchboard/storage';
import type { PostDatabase } from './post-schema';

export interface KnownUser {
  userId: string;
  displayName: string;
  registeredAt: Date;
}

/**
 * The users this service knows, fed by UserRegistered. It is a replica, so it
 * lags the auth service: a user registered a moment ago may not be here yet.
 */
export interface UserDirectory {
  /** Records a user once; a replayed or repeated event changes nothing. True when new. */
  record(db: Kysely<PostDatabase>, user: KnownUser): Promise<boolean>;
  /** USER_NOT_FOUND unless the user is known; run inside the caller's transaction. */
  require(db: Kysely<PostDatabase>, userId: string): Promise<void>;
}

export function userNotFound(userId: string): DomainError {
  return new DomainError(
    'USER_NOT_FOUND',
    `user ${userId} not found (a user who registered moments ago may take a few seconds to appear)`,
    { details: { userId } },
  );
}

export function createUserDirectory(): UserDirectory {
  return {
    async record(db, user) {
      const row = await db
        .insertInto('users')
        .values({
          user_id: user.userId.toLowerCase(),
          display_name: user.displayName,
          registered_at: user.registeredAt,
        })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async require(db, userId) {
      // FOR KEY SHARE, as the follows foreign key would take: the user cannot
      // vanish between this check and the insert that relies on it.
      const row = await db
        .selectFrom('users')
        .select('user_id')
        .where('user_id', '=', userId)
        .forKeyShare()
        .executeTakeFirst();
      if (row === undefined) throw userNotFound(userId);
    },
  };
}
