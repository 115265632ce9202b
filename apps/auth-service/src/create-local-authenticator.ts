import type { Authenticate } from '@switchboard/rpc';
import type { TokenService } from './token-service';

/**
 * The auth service checks a bearer token with its own token service; the
 * other services do the same through VerifyToken. Failures are the token
 * service's INVALID_TOKEN, which the edge answers as UNAUTHENTICATED.
 */
export function createLocalAuthenticator(tokens: TokenService): Authenticate {
  return async (token) => {
    const { userId, roles, expiresAt } = await tokens.verify(token);
    return { userId, roles, expiresAt };
  };
}
