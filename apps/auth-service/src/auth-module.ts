import type { AuthService } from '@switchboard/contracts';
import { createOutboxRelay, eventSourceOf } from '@switchboard/event-bus';
import type { Authenticate } from '@switchboard/rpc';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { createAuthDomain, type AuthDomain, type AuthDomainOptions } from './auth-domain';
import type { AuthDatabase } from './auth-schema';
import { authServiceAccess } from './auth-service-handlers';
import { createKeyRotationSchedule } from './key-rotation-schedule';
import type { AuthConfig } from './load-auth-config';

export interface AuthModuleOptions extends ServiceModuleOptions<AuthConfig, AuthDatabase> {
  overrides?: AuthModuleOverrides;
}

/**
 * What a test sets over the config: its budgets and clock, or settings that
 * only a production config could give (development off).
 */
export type AuthModuleOverrides = Partial<Omit<AuthDomainOptions, 'db' | 'logger' | 'eventSource'>>;

export interface AuthModule extends ServiceModule<typeof AuthService> {
  /** Checks bearer tokens sent to this service, without a call to itself. */
  readonly authenticate: Authenticate;
  /** The domain, for tests that look behind the RPCs (keys, accounts). */
  readonly domain: AuthDomain;
}

/** The running auth service: its domain, the outbox relay and the key rotation schedule. */
export async function createAuthModule(options: AuthModuleOptions): Promise<AuthModule> {
  const { config, storage, bus, logger } = options;
  const domain = await createAuthDomain({
    ...config,
    ...options.overrides,
    db: storage.db,
    logger,
    eventSource: eventSourceOf(config.service),
  });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  const rotation = createKeyRotationSchedule({
    keys: domain.keys,
    rotationHours: config.keyRotationHours,
    logger,
  });
  return {
    handlers: domain.handlers,
    access: authServiceAccess,
    authenticate: domain.authenticate,
    domain,
    async start() {
      // Before serving: the admin must be able to log in as soon as health says SERVING.
      await domain.seed();
      relay.start();
      rotation.start();
    },
    async close() {
      // Both wait for work in hand (a rotation check, a batch) so storage can close after them.
      await rotation.stop();
      await relay.close();
    },
  };
}
