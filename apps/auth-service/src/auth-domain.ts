import type { AuthService } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { Authenticate, ServiceImpl } from '@switchboard/rpc';
import type { Kysely } from '@switchboard/storage';
import type { AuthDatabase } from './auth-schema';
import { createAuthServiceHandlers } from './auth-service-handlers';
import { createLocalAuthenticator } from './create-local-authenticator';
import { createServiceTokenIssuer } from './create-service-token-issuer';
import { createKeyEncryption } from './key-encryption';
import { createClientAddressResolver } from './client-address';
import {
  createLoginThrottle,
  defaultLoginThrottleSettings,
  type LoginThrottleSettings,
} from './login-throttle';
import { createPasswordHasher, type PasswordHasher } from './password-hasher';
import {
  createRegisterThrottle,
  defaultRegisterThrottleSettings,
  type RegisterThrottleSettings,
} from './register-throttle';
import { seedUsers } from './seed-users';
import { createSigningKeys, type SigningKeys } from './signing-keys';
import { createTokenService, type TokenService } from './token-service';
import { createUserAccounts, type UserAccounts } from './user-accounts';

export interface AuthDomainOptions {
  db: Kysely<AuthDatabase>;
  logger: Logger;
  /** CloudEvents source of the events this service writes to its outbox. */
  eventSource: string;
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  adminEmail: string;
  adminPassword: string;
  seedDemoData: boolean;
  /** Service name → `<SERVICE>_SERVICE_SECRET`: who may get a service token. */
  serviceClients: ReadonlyMap<string, string>;
  /** SWITCHBOARD_ENV=development: only then does seeding reset the admin's password. */
  development: boolean;
  /** AUTH_KEY_ENCRYPTION_KEY: seals the signing keys' private halves at rest. */
  keyEncryptionKey: string;
  /** AUTH_KEY_ENCRYPTION_KEY_PREVIOUS, while the key is being changed. */
  previousKeyEncryptionKey?: string;
  /** Tests set their own budgets; production uses the defaults. */
  loginThrottle?: LoginThrottleSettings;
  registerThrottle?: RegisterThrottleSettings;
  /**
   * AUTH_TRUSTED_PROXIES: peers whose x-forwarded-for names the client the
   * budgets count (client-address.ts). None by default.
   */
  trustedProxies?: readonly string[];
  /** The clock of the login and register budgets (epoch ms); tests step it instead of waiting. */
  now?: () => number;
}

export interface AuthDomain {
  handlers: ServiceImpl<typeof AuthService>;
  /** Checks bearer tokens sent to this service, without a call to itself. */
  authenticate: Authenticate;
  keys: SigningKeys;
  tokens: TokenService;
  accounts: UserAccounts;
  hasher: PasswordHasher;
  /** Seeds the admin (and the demo customer); idempotent. */
  seed(): Promise<void>;
}

/**
 * Builds the auth domain over its database: the one place its parts are
 * assembled, after checking that the signing keys can be opened. No Kafka and
 * no timers, so specs serve it as it is;
 * auth-module.ts adds the background work for the running service.
 */
export async function createAuthDomain(options: AuthDomainOptions): Promise<AuthDomain> {
  const { db, logger } = options;
  const hasher = await createPasswordHasher();
  const keys = createSigningKeys(db, {
    tokenTtlSeconds: options.tokenTtlSeconds,
    encryption: createKeyEncryption(options.keyEncryptionKey),
    previousEncryption:
      options.previousKeyEncryptionKey === undefined
        ? undefined
        : createKeyEncryption(options.previousKeyEncryptionKey),
  });
  // Before anything can sign: a wrong AUTH_KEY_ENCRYPTION_KEY fails the start here.
  await keys.unlock();
  const tokens = createTokenService(db, keys, {
    issuer: options.issuer,
    audience: options.audience,
    ttlSeconds: options.tokenTtlSeconds,
  });
  const accounts = createUserAccounts(db, hasher, { source: options.eventSource });
  const now = options.now ?? Date.now;
  const throttle = createLoginThrottle(
    db,
    options.loginThrottle ?? defaultLoginThrottleSettings,
    now,
  );
  const registerThrottle = createRegisterThrottle(
    options.registerThrottle ?? defaultRegisterThrottleSettings,
    now,
  );
  return {
    handlers: createAuthServiceHandlers({
      accounts,
      hasher,
      tokens,
      keys,
      throttle,
      serviceTokens: createServiceTokenIssuer(options.serviceClients, tokens),
      registerThrottle,
      clientAddress: createClientAddressResolver(options.trustedProxies ?? []),
    }),
    authenticate: createLocalAuthenticator(tokens),
    keys,
    tokens,
    accounts,
    hasher,
    seed: () =>
      seedUsers({
        accounts,
        hasher,
        logger,
        admin: { email: options.adminEmail, password: options.adminPassword },
        seedDemoData: options.seedDemoData,
        development: options.development,
      }),
  };
}
