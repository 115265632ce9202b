import { createTestAuthenticator } from './create-test-authenticator';

const USER_TOKEN = /^user:([0-9a-f-]{36})$/;

/**
 * Stands in for the auth service in specs that are about something else and
 * need many made-up users without registering each: a token `user:<uuid>` is
 * that user (a customer), anything else is rejected as auth would.
 */
export const authenticateUserTokens = createTestAuthenticator({}, (token) => {
  const userId = USER_TOKEN.exec(token)?.[1];
  return userId === undefined ? undefined : { userId, roles: ['customer'] };
});

/** Call options for `userId` under authenticateUserTokens. */
export const asUser = (userId: string) => ({
  headers: { authorization: `Bearer user:${userId}` },
});
