import { createHash } from 'node:crypto';
import { timestampDate, timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { Role, type AuthService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { Authenticate, Caller, CallerRole } from './call-context';
import type { ServiceClient } from './create-service-client';
import type { ServiceIdentity } from './create-service-identity';
import { errorDetailsOf } from './error-details/error-details-of';

export interface TokenAuthenticatorOptions {
  /**
   * Who this service is towards auth: VerifyToken answers services only. Its
   * token goes in the call's authorization header.
   */
  identity: ServiceIdentity;
  /** Budget for one VerifyToken call; the incoming call's deadline still caps it. */
  timeoutMs?: number;
  /**
   * How long a token auth accepted is taken on trust without asking again
   * (default 0: every call asks). Never past the token's own expiry. The
   * price: a token revoked meanwhile still passes here for up to this long.
   */
  verifyCacheMs?: number;
  /**
   * How long a token auth rejected is refused without asking again (default
   * 5 s), so a client repeating garbage costs auth nothing. A rejected token
   * never becomes valid, so the only limit is memory.
   */
  rejectCacheMs?: number;
  /** Most tokens remembered at once in each cache (default 10,000); the oldest go first. */
  cacheSize?: number;
  /** Epoch milliseconds; injected by tests. */
  now?: () => number;
}

const roleNames: Partial<Record<Role, CallerRole>> = {
  [Role.ADMIN]: 'admin',
  [Role.CUSTOMER]: 'customer',
  [Role.SERVICE]: 'service',
};

/**
 * Tokens are remembered by their digest: a heap dump or a debugger then
 * holds no token that could be replayed.
 */
function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** An insertion-ordered map that drops its oldest entry when full. */
function boundedCache<V>(size: number) {
  const entries = new Map<string, V>();
  return {
    get: (key: string) => entries.get(key),
    delete: (key: string) => entries.delete(key),
    set(key: string, value: V) {
      entries.delete(key);
      if (entries.size >= size) entries.delete(entries.keys().next().value!);
      entries.set(key, value);
    },
  };
}

function invalidToken(cause?: unknown): DomainError {
  return new DomainError('INVALID_TOKEN', 'the access token is invalid or expired', { cause });
}

function errorCodeOf(err: ConnectError): string | undefined {
  return errorDetailsOf(err).reason;
}

/**
 * Authenticates every call through AuthService.VerifyToken, the one place
 * where tokens are checked (or through its recent answer for the same token).
 * A rejected token is UNAUTHENTICATED; an auth service that is down or slow
 * is UNAVAILABLE, so callers retry rather than log users out.
 */
export function createTokenAuthenticator(
  authClient: ServiceClient<typeof AuthService>,
  options: TokenAuthenticatorOptions,
): Authenticate {
  const { identity } = options;
  const timeoutMs = options.timeoutMs ?? 500;
  const acceptMs = options.verifyCacheMs ?? 0;
  const rejectMs = options.rejectCacheMs ?? 5_000;
  const size = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const accepted = boundedCache<{ caller: Caller; until: number }>(size);
  const rejected = boundedCache<number>(size);

  async function verify(token: string, signal: AbortSignal, retried = false) {
    const authorization = await identity.authorization();
    try {
      return await authClient.verifyToken(
        { accessToken: token },
        { timeoutMs, signal, headers: { authorization } },
      );
    } catch (err) {
      // Our own token went stale (e.g. its signing key was retired): get a new one, once.
      if (!retried && err instanceof ConnectError && errorCodeOf(err) === 'SERVICE_TOKEN_INVALID') {
        identity.invalidate();
        return verify(token, signal, true);
      }
      throw err;
    }
  }

  // One VerifyToken per token at a time: when a cached entry runs out, every
  // call in flight with that token misses together, and without this a busy
  // client sent auth one VerifyToken per concurrent call each time.
  const inFlight = new Map<string, ReturnType<typeof verify>>();
  const detached = new AbortController().signal;
  function verifyOnce(key: string, token: string, signal: AbortSignal) {
    if (acceptMs <= 0) return verify(token, signal);
    let pending = inFlight.get(key);
    if (pending === undefined) {
      // Not tied to the first caller's signal: its hanging up must not fail
      // the others. timeoutMs bounds it all the same.
      pending = verify(token, detached).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  return async (token, ctx) => {
    const key = digestOf(token);
    const at = now();
    const hit = accepted.get(key);
    if (hit !== undefined) {
      // A copy: a handler that edits its caller must not edit the next one's.
      if (hit.until > at) return { ...hit.caller, roles: [...hit.caller.roles] };
      accepted.delete(key);
    }
    const refusedUntil = rejected.get(key);
    if (refusedUntil !== undefined) {
      if (refusedUntil > at) throw invalidToken();
      rejected.delete(key);
    }
    try {
      const verified = await verifyOnce(key, token, ctx.signal);
      const roles = verified.roles.flatMap((role) => roleNames[role] ?? []);
      const caller: Caller = { userId: verified.userId, roles };
      if (verified.expiresAt) caller.expiresAt = timestampDate(verified.expiresAt);
      if (acceptMs > 0) {
        const expiresAt = verified.expiresAt ? timestampMs(verified.expiresAt) : at;
        const until = Math.min(at + acceptMs, expiresAt);
        if (until > at) accepted.set(key, { caller: { ...caller, roles: [...roles] }, until });
      }
      return caller;
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      if (err.code === Code.Unauthenticated && errorCodeOf(err) === 'INVALID_TOKEN') {
        if (rejectMs > 0) rejected.set(key, at + rejectMs);
        throw invalidToken(err);
      }
      if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) {
        throw new DomainError('DEPENDENCY_UNAVAILABLE', 'cannot verify the access token now', {
          cause: err,
        });
      }
      // Auth refused *us* (bad service credentials, a permission): a fault of
      // this deployment, not of the caller, so it is not blamed on their token.
      throw new DomainError('DEPENDENCY_UNAVAILABLE', 'cannot verify the access token now', {
        cause: err,
      });
    }
  };
}
