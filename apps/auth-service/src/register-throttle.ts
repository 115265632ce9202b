import { DomainError } from '@switchboard/errors';
import { createMemoryBuckets } from './memory-buckets';
import type { BucketSettings } from './token-bucket';

export interface RegisterThrottleSettings {
  perAddress: BucketSettings;
  global: BucketSettings;
}

export const defaultRegisterThrottleSettings: RegisterThrottleSettings = {
  // An office behind one address (or a benchmark) signs up a few dozen at once;
  // a script signing up thousands is held to one a minute.
  perAddress: { capacity: 30, refillEveryMs: 60_000 },
  global: { capacity: 100, refillEveryMs: 500 },
};

export interface RegisterThrottle {
  /** Counts one registration, or throws REGISTER_RATE_LIMITED at once with the wait. */
  admit(address: string): void;
}

/**
 * Register hashes a password (argon2: CPU and memory), writes a row and an
 * event, and answers EMAIL_TAKEN for a used address, so an unlimited
 * Register is a way to load the service, fill the database and list who has
 * an account. Every attempt that passes validation counts, whether it then
 * succeeds or not, per client address and in total. In memory, per replica:
 * what matters is that the rate stays bounded, not exact across replicas.
 */
export function createRegisterThrottle(
  settings: RegisterThrottleSettings,
  now: () => number,
): RegisterThrottle {
  const perAddress = createMemoryBuckets({ settings: settings.perAddress, now });
  const global = createMemoryBuckets({ settings: settings.global, now });

  const refuse = (why: string, retryAfterMs: number) =>
    new DomainError(
      'REGISTER_RATE_LIMITED',
      `${why}; try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`,
      { details: { retryAfterMs } },
    );

  return {
    admit(address) {
      const fromAddress = perAddress.take(address);
      if (!fromAddress.allowed) {
        throw refuse('too many registrations from your address', fromAddress.retryAfterMs);
      }
      const total = global.take('');
      if (!total.allowed) {
        perAddress.giveBack(address);
        throw refuse('too many registrations at this service', total.retryAfterMs);
      }
    },
  };
}
