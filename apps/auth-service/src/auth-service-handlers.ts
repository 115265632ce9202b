import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { AuthService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import type { ServiceImpl } from '@switchboard/rpc';
import type { CallOrigin } from './client-address';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './password-hasher';
import type { RegisterThrottle } from './register-throttle';
import { toProtoRole } from './roles';
import type { SigningKeys } from './signing-keys';
import type { ServiceTokenIssuer } from './create-service-token-issuer';
import type { TokenService } from './token-service';
import type { UserAccounts } from './user-accounts';
import { normaliseEmail, toRegistration } from './validate-registration';

export { authServiceAccess } from '@switchboard/contracts';

export interface AuthServiceDeps {
  accounts: UserAccounts;
  hasher: PasswordHasher;
  tokens: TokenService;
  keys: SigningKeys;
  throttle: LoginThrottle;
  serviceTokens: ServiceTokenIssuer;
  registerThrottle: RegisterThrottle;
  /** The key a call's budgets count under (client-address.ts). */
  clientAddress: (call: CallOrigin) => string;
}

const INVALID_CREDENTIALS_MESSAGE = 'the email or password is incorrect';

export function createAuthServiceHandlers(deps: AuthServiceDeps): ServiceImpl<typeof AuthService> {
  const {
    accounts,
    hasher,
    tokens,
    keys,
    throttle,
    registerThrottle,
    serviceTokens,
    clientAddress,
  } = deps;

  return {
    async register(request, ctx) {
      const registration = toRegistration({
        email: request.email,
        password: request.password,
        displayName: request.displayName,
      });
      // After the contract's checks (a typo costs nothing), before the hash and the insert.
      registerThrottle.admit(clientAddress(ctx));
      const { userId } = await accounts.register({ ...registration, role: 'customer' });
      return { userId };
    },

    async login(request, ctx) {
      // The contract bounds both fields as registration does, so input no
      // account could match is refused before the throttle table or the hasher.
      const email = normaliseEmail(request.email);
      // Counted before the password is checked; refused at once, never held.
      const attempt = await throttle.admit(email, clientAddress(ctx));

      const user = await accounts.findByEmail(email);
      // An unknown address costs the same argon2 work as a real check, so the
      // answer time does not tell which addresses exist.
      const ok = user
        ? await hasher.verify(user.passwordHash, request.password)
        : await hasher.verifyAgainstNothing(request.password);
      if (!user || !ok) {
        ctx.logger.info('login refused');
        throw new DomainError('INVALID_CREDENTIALS', INVALID_CREDENTIALS_MESSAGE);
      }
      await attempt.succeeded();
      const issued = await tokens.issue({ userId: user.userId, role: user.role });
      ctx.logger.info({ userId: user.userId }, 'login succeeded');
      return {
        accessToken: issued.token,
        expiresAt: timestampFromDate(issued.expiresAt),
        userId: user.userId,
      };
    },

    async verifyToken(request) {
      const verified = await tokens.verify(request.accessToken);
      return {
        userId: verified.userId,
        roles: verified.roles.map(toProtoRole),
        expiresAt: timestampFromDate(verified.expiresAt),
      };
    },

    async revokeToken(request, ctx) {
      await tokens.revoke(request.accessToken);
      ctx.logger.info('token revoked');
      return {};
    },

    async getJwks() {
      return { keysJson: JSON.stringify(await keys.jwks()) };
    },

    async issueServiceToken(request, ctx) {
      const issued = await serviceTokens.issue(request.clientId, request.clientSecret);
      ctx.logger.info({ clientId: request.clientId }, 'service token issued');
      return { accessToken: issued.token, expiresAt: timestampFromDate(issued.expiresAt) };
    },

    async listSigningKeys() {
      const [stored, signing] = await Promise.all([keys.list(), keys.current()]);
      return {
        keys: stored.map((k) => ({
          keyId: k.kid,
          createdAt: timestampFromDate(k.createdAt),
          retiredAt: k.retiredAt ? timestampFromDate(k.retiredAt) : undefined,
          revokedAt: k.revokedAt ? timestampFromDate(k.revokedAt) : undefined,
          current: k.kid === signing.kid,
        })),
      };
    },

    async revokeSigningKey(request, ctx) {
      const kid = request.keyId.trim();
      const { revokedAt, newKid } = await keys.revoke(kid);
      ctx.logger.warn({ kid, newKid, by: ctx.caller?.userId }, 'signing key revoked');
      return { revokedAt: timestampFromDate(revokedAt), newKeyId: newKid ?? '' };
    },
  };
}
