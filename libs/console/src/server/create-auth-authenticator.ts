import { Code, ConnectError } from '@connectrpc/connect';
import type { AuthService } from '@switchboard/contracts';
import type { ServiceClient } from '@switchboard/rpc';
import type { ConsoleAuthenticate } from './console-authenticate';

export interface AuthAuthenticatorOptions {
  /** A client of the auth service (`AUTH_ADDR`). */
  authClient: ServiceClient<typeof AuthService>;
  /** Budget for one check. Default 2 s. */
  timeoutMs?: number;
}

/**
 * Asks the auth service itself whether a token is an admin's, by calling its
 * admin-only, side-effect-free ListSigningKeys with that token.
 *
 * Why not VerifyToken, as the services do: it answers services only, and the
 * console holds no service credential (auth knows the five services'
 * secrets, not a console's). Why not the JWKS: a signature check alone would
 * accept a token that was revoked (RevokeToken) while its signature still
 * holds. Through ListSigningKeys, auth applies its own complete check —
 * signature, expiry, revocation of the token and of its key — and its own
 * admin rule; the console learns only "admin", "valid but not admin" or
 * "invalid", which is all its policy needs. The response (key ids and dates,
 * never key material) is discarded.
 */
export function createAuthAuthenticator(options: AuthAuthenticatorOptions): ConsoleAuthenticate {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return async (token, signal) => {
    try {
      await options.authClient.listSigningKeys(
        {},
        { headers: { authorization: `Bearer ${token}` }, signal, timeoutMs },
      );
      return { roles: ['admin'] };
    } catch (err) {
      const code = err instanceof ConnectError ? err.code : Code.Unknown;
      if (code === Code.PermissionDenied) return { roles: [] };
      if (code === Code.Unauthenticated) {
        throw new ConnectError('the access token is invalid or expired', Code.Unauthenticated);
      }
      throw new ConnectError(
        'cannot verify the access token now',
        Code.Unavailable,
        undefined,
        undefined,
        err,
      );
    }
  };
}
