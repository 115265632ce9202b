import { timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { Role, type AuthService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { Authenticate, Caller, CallerRole } from './call-context';
import type { ServiceClient } from './create-service-client';

export interface TokenAuthenticatorOptions {
  /** Budget for one VerifyToken call; the incoming call's deadline still caps it. */
  timeoutMs?: number;
  /**
   * How long a token auth accepted is taken on trust without asking again
   * (default 0: every call asks). Never past the token's own expiry. The
   * price: a token revoked meanwhile still passes here for up to this long.
   */
  verifyCacheMs?: number;
  /** Most tokens remembered at once (default 10,000); the oldest go first. */
  verifyCacheSize?: number;
}

const roleNames: Partial<Record<Role, CallerRole>> = {
  [Role.ADMIN]: 'admin',
  [Role.CUSTOMER]: 'customer',
};

/**
 * Authenticates every call through AuthService.VerifyToken, the one place
 * where tokens are checked (or through its recent answer for the same token,
 * with verifyCacheMs). A rejected token is UNAUTHENTICATED; an auth
 * service that is down or slow is UNAVAILABLE, so callers retry rather than
 * log users out.
 */
export function createTokenAuthenticator(
  authClient: ServiceClient<typeof AuthService>,
  options: TokenAuthenticatorOptions = {},
): Authenticate {
  const timeoutMs = options.timeoutMs ?? 500;
  const cacheMs = options.verifyCacheMs ?? 0;
  const cacheSize = options.verifyCacheSize ?? 10_000;
  // Insertion order is age order, so the first key is the one to evict.
  const cache = new Map<string, { caller: Caller; until: number }>();
  return async (token, ctx) => {
    const now = Date.now();
    const hit = cache.get(token);
    if (hit !== undefined) {
      // A copy: a handler that edits its caller must not edit the next one's.
      if (hit.until > now) return { userId: hit.caller.userId, roles: [...hit.caller.roles] };
      cache.delete(token);
    }
    try {
      const verified = await authClient.verifyToken(
        { accessToken: token },
        { timeoutMs, signal: ctx.signal },
      );
      const roles = verified.roles.flatMap((role) => roleNames[role] ?? []);
      const caller: Caller = { userId: verified.userId, roles };
      if (cacheMs > 0) {
        const expiresAt = verified.expiresAt ? timestampMs(verified.expiresAt) : now;
        const until = Math.min(now + cacheMs, expiresAt);
        if (until > now) {
          if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
          cache.set(token, { caller: { userId: caller.userId, roles: [...roles] }, until });
        }
      }
      return caller;
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
