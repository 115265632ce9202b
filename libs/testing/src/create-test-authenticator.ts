import { DomainError } from '@switchboard/errors';
import type { Authenticate, CallerRole } from '@switchboard/rpc';

export interface TestCaller {
  userId: string;
  roles: readonly CallerRole[];
}

/**
 * Stands in for the auth service in specs that do not start it: each listed
 * token is a fixed caller, `callerOf` may recognise more (made-up users by the
 * hundred, say), and any other token is refused as auth refuses it, so a spec
 * about a service's rules still sees unauthenticated calls fail.
 */
export function createTestAuthenticator(
  callers: Readonly<Record<string, TestCaller>>,
  callerOf: (token: string) => TestCaller | undefined = () => undefined,
): Authenticate {
  return async (token) => {
    const caller = Object.hasOwn(callers, token) ? callers[token] : callerOf(token);
    if (caller === undefined) {
      throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
    }
    return { userId: caller.userId, roles: [...caller.roles] };
  };
}

/** Call options that send `token` as a bearer token. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
