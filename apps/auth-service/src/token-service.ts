import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import { DomainError } from '@switchboard/errors';
import type { Kysely } from '@switchboard/storage';
import type { AuthDatabase, UserRole } from './auth-schema';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** A person's role, or 'service' for a service's own token (never both). */
export type TokenRole = UserRole | 'service';

export interface VerifiedToken {
  userId: string;
  roles: TokenRole[];
  expiresAt: Date;
  jti: string;
}

export interface TokenService {
  issue(subject: { userId: string; role: TokenRole }): Promise<IssuedToken>;
  /** Throws INVALID_TOKEN for anything short of a valid, unrevoked token of ours. */
  verify(token: string): Promise<VerifiedToken>;
  /** The token is refused from now on. Revoking an expired token is a no-op. */
  revoke(token: string): Promise<void>;
}

const MAX_TOKEN_LENGTH = 4096;
const MAX_KID_LENGTH = 64;
const TOKEN_TYPE = 'JWT';
const CLOCK_TOLERANCE_SECONDS = 5;

/** Every failure gets this message: a caller learns nothing about which check failed. */
export const INVALID_TOKEN_MESSAGE = 'the access token is invalid or expired';

function invalid(reason: string, cause?: unknown): DomainError {
  // The reason stays in the cause, for the server's log only.
  return new DomainError('INVALID_TOKEN', INVALID_TOKEN_MESSAGE, {
    cause: cause ?? new Error(reason),
  });
}

function issuedAtOf(token: string): Date | undefined {
  const iat = decodeJwt(token).iat;
  return typeof iat === 'number' ? new Date(iat * 1000) : undefined;
}

interface CheckedClaims {
  kid: string;
  sub: string;
  jti: string;
  exp: number;
  roles: TokenRole[];
}

const tokenRoles: ReadonlySet<unknown> = new Set<TokenRole>(['admin', 'customer', 'service']);

function claimsOf(kid: string, payload: JWTPayload): CheckedClaims {
  const { sub, jti, exp } = payload;
  // Only our own signed tokens get here, but a claim of the wrong type is
  // still refused rather than trusted.
  if (typeof sub !== 'string' || sub === '') throw invalid('bad sub');
  if (typeof jti !== 'string' || jti === '') throw invalid('bad jti');
  if (typeof exp !== 'number') throw invalid('bad exp');
  const roles = payload['roles'];
  if (!Array.isArray(roles)) throw invalid('bad roles');
  return {
    kid,
    sub,
    jti,
    exp,
    roles: roles.filter((r): r is TokenRole => tokenRoles.has(r)),
  };
}

/**
 * Issues and checks ES256 access tokens. The algorithm is pinned before any
 * key is looked up, the key comes only from our own table by kid, and every
 * registered claim is checked; any failure is the same INVALID_TOKEN.
 */
export function createTokenService(
  db: Kysely<AuthDatabase>,
  keys: SigningKeys,
  settings: TokenSettings,
): TokenService {
  async function checkSignature(
    token: string,
    options: { ignoreExpiry: boolean },
  ): Promise<CheckedClaims> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalid('bad length');
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(token);
      kid = header.kid;
      // Checked before any key lookup: alg "none" and HMAC/RSA confusion stop here.
      if (header.alg !== SIGNING_ALGORITHM)
        throw new Error(`algorithm ${String(header.alg)} refused`);
    } catch (err) {
      throw invalid(`malformed header: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      throw invalid('missing or malformed kid');
    }
    const key = await keys.verificationKey(kid);
    if (!key) throw invalid('unknown or expired kid');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        typ: TOKEN_TYPE,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat', 'nbf'],
        // Replicas' clocks drift a little; a token minted a moment "in the
        // future" by another replica is not a forgery.
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // Revoking needs a genuine token but not a live one: judge it as of its
        // own issue time (the signature and every other claim are still checked).
        currentDate: options.ignoreExpiry ? issuedAtOf(token) : undefined,
      }));
    } catch (err) {
      // Only the code and message go to the log: jose's claim errors carry the
      // whole payload, which has no business in a log line.
      if (err instanceof joseErrors.JOSEError) throw invalid(`${err.code}: ${err.message}`);
      throw invalid('verification failed', err);
    }
    return claimsOf(kid, payload);
  }

  return {
    async issue(subject) {
      const signer = await keys.current();
      const issuedAt = Math.floor(Date.now() / 1000);
      const expiresAtSeconds = issuedAt + settings.ttlSeconds;
      const token = await new SignJWT({ roles: [subject.role] })
        .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signer.kid, typ: TOKEN_TYPE })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(subject.userId)
        .setJti(crypto.randomUUID())
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAtSeconds)
        .sign(signer.privateKey);
      return { token, expiresAt: new Date(expiresAtSeconds * 1000) };
    },

    async verify(token) {
      const claims = await checkSignature(token, { ignoreExpiry: false });
      // One round trip for both: the token's own revocation, and its key's.
      // The key's is read here on every call, not from the key cache, so a
      // key revoked at any replica stops verifying everywhere at once.
      const { tokenRevoked, keyRevoked } = await db
        .selectNoFrom((eb) => [
          eb
            .exists(eb.selectFrom('revoked_tokens').select('jti').where('jti', '=', claims.jti))
            .as('tokenRevoked'),
          eb
            .exists(
              eb
                .selectFrom('signing_keys')
                .select('kid')
                .where('kid', '=', claims.kid)
                .where('revoked_at', 'is not', null),
            )
            .as('keyRevoked'),
        ])
        .executeTakeFirstOrThrow();
      if (tokenRevoked) throw invalid('revoked');
      if (keyRevoked) throw invalid('signing key revoked');
      return {
        userId: claims.sub,
        roles: claims.roles,
        expiresAt: new Date(claims.exp * 1000),
        jti: claims.jti,
      };
    },

    async revoke(token) {
      const claims = await checkSignature(token, { ignoreExpiry: true });
      const now = new Date();
      const expiresAt = new Date(claims.exp * 1000);
      if (expiresAt <= now) return;
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('revoked_tokens')
          .values({ jti: claims.jti, expires_at: expiresAt })
          .onConflict((oc) => oc.column('jti').doNothing())
          .execute();
        // A row outlives its token for nothing: expiry already refuses it. Cleaning
        // on write keeps the table as small as the set of live revoked tokens.
        await trx.deleteFrom('revoked_tokens').where('expires_at', '<=', now).execute();
      });
    },
  };
}
