import { Code, ConnectError } from '@connectrpc/connect';
import { Role, type AuthService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { Authenticate, CallerRole } from './call-context';
import type { ServiceClient } from './create-service-client';

export interface TokenAuthenticatorOptions {
  /** Budget for one VerifyToken call; the incoming call's deadline still caps it. */
  timeoutMs?: number;
}

const roleNames: Partial<Record<Role, CallerRole>> = {
  [Role.ADMIN]: 'admin',
  [Role.CUSTOMER]: 'customer',
};

/**
 * Authenticates every call through AuthService.VerifyToken, the one place
 * where tokens are checked. A rejected token is UNAUTHENTICATED; an auth
 * service that is down or slow is UNAVAILABLE, so callers retry rather than
 * log users out.
 */
export function createTokenAuthenticator(
  authClient: ServiceClient<typeof AuthService>,
  options: TokenAuthenticatorOptions = {},
): Authenticate {
  const timeoutMs = options.timeoutMs ?? 500;
  return async (token, ctx) => {
    try {
      const verified = await authClient.verifyToken(
        { accessToken: token },
        { timeoutMs, signal: ctx.signal },
      );
      const roles = verified.roles.flatMap((role) => roleNames[role] ?? []);
      return { userId: verified.userId, roles };
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      if (err.code === Code.Unauthenticated) {
        throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired', {
          cause: err,
        });
      }
      if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) {
        throw new DomainError('DEPENDENCY_UNAVAILABLE', 'cannot verify the access token now', {
          cause: err,
        });
      }
      throw err;
    }
  };
}
