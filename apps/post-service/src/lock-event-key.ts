import { sql, type Kysely } from '@switchboard/storage';

/**
 * Serialises, per record key, the transactions that write social.posts.v1
 * events (a post by X, a follow or unfollow of X), until commit.
 *
 * The relay publishes outbox rows in id order, and an id is taken when the
 * row is inserted, not when its transaction commits. Without this lock a post
 * could take id 5, a follow of its author id 6, the follow commit first and
 * the post second, and a relay scan after both would still publish the post
 * first: the new follower would miss it. Holding the key's lock from before
 * the outbox insert until commit makes id order and commit order agree for
 * each key, which is the order the notification service relies on.
 *
 * A transaction-scoped advisory lock rather than a row lock: a post's author
 * may not be in the users table yet. A 64-bit hash collision only makes two
 * keys wait for each other, never breaks anything.
 */
export async function lockEventKey<DB>(trx: Kysely<DB>, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`social.posts.v1:${key}`}, 0))`.execute(
    trx,
  );
}
