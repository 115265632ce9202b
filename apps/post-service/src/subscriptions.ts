import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  CONTROL_CHARACTER,
  DISPLAY_NAME_MAX_CHARS,
  EMAIL_MAX_CHARS,
  UserRegisteredSchema,
  type UserRegistered,
} from '@switchboard/contracts';
import { UnprocessableEventError, on, type Subscription } from '@switchboard/event-bus';
import type { UserDirectory } from './create-user-directory';
import { postLimits } from './post-limits';
import type { PostDatabase } from './post-schema';

/** The consumer group of every replica: Kafka splits the partitions between them. */
export const POST_CONSUMER_GROUP = 'post-service';

export interface PostSubscriptionDeps {
  users: UserDirectory;
}

/**
 * What the auth API accepts at registration (bounds from the contracts); the
 * display name is kept and shown beside posts, so no other name gets in.
 */
function requireRegistrationBounds(event: UserRegistered): void {
  const name = event.displayName;
  const length = [...name].length;
  let problem: string | undefined;
  if (name.trim() === '') problem = 'display_name is empty';
  else if (length > DISPLAY_NAME_MAX_CHARS)
    problem = `display_name has ${length} characters, more than ${DISPLAY_NAME_MAX_CHARS}`;
  else if (CONTROL_CHARACTER.test(name)) problem = 'display_name contains control characters';
  else if (event.email.length > EMAIL_MAX_CHARS)
    problem = `email has ${event.email.length} characters, more than ${EMAIL_MAX_CHARS}`;
  if (problem !== undefined) throw new UnprocessableEventError(`UserRegistered ${problem}`);
}

/**
 * Every event the post service consumes, in one place. Each handler runs in
 * the inbox transaction, so its effect commits exactly once per event id.
 */
export function createPostSubscriptions(
  deps: PostSubscriptionDeps,
): readonly Subscription<PostDatabase>[] {
  return [
    // identity.users.v1 → the local users table, so FollowUser can tell a real user.
    on<PostDatabase, typeof UserRegisteredSchema>(UserRegisteredSchema, async (event, ctx) => {
      if (!postLimits.uuidPattern.test(event.userId)) {
        // The auth service only mints UUIDs and no API here accepts anything
        // else: no retry can apply this, so it goes to the dead-letter topic at once.
        throw new UnprocessableEventError(`UserRegistered has a malformed user_id`);
      }
      requireRegistrationBounds(event);
      const isNew = await deps.users.record(ctx.trx, {
        userId: event.userId,
        displayName: event.displayName,
        registeredAt: event.registeredAt ? timestampDate(event.registeredAt) : new Date(),
      });
      ctx.logger.debug({ userId: event.userId, isNew }, 'user recorded');
    }),
  ];
}
