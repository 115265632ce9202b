import { DomainError } from '@switchboard/errors';
import type { Authenticate } from '@switchboard/rpc';

const USER_TOKEN = /^user:([0-9a-f-]{36})$/;

/**
 * Stands in for the auth service in specs that are about something else and
 * need many made-up users without registering each: a token `user:<uuid>` is
 * that user (a customer), anything else is rejected as auth would.
 */
export const authenticateUserTokens: Authenticate = async (token) => {
  const userId = USER_TOKEN.exec(token)?.[1];
  if (userId === undefined) {
    throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
  }
  return { userId, roles: ['customer'] };
};

/** Call options for `userId` under authenticateUserTokens. */
export const asUser = (userId: string) => ({
  headers: { authorization: `Bearer user:${userId}` },
});
