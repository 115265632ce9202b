import { env, readField, type ConfigGroup, type Env } from '@switchboard/config';
import type { Backoff } from '@switchboard/timing';

/** How the delivery workers run: read once at start with the service's config. */
export interface DeliveryConfig {
  /** Competing consumers in this process; replicas add their own. */
  readonly workers: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly retryAfterMaxMs: number;
  /** SQS only: how long a job a worker took stays hidden from the others. */
  readonly visibilityTimeoutSeconds: number;
}

// SQS delays a message by 15 minutes at most, and the retry delay travels as one.
const LONGEST_DELAY_MS = 900_000;
// A worker records the outcome in PostgreSQL after the POST: room for that.
const VISIBILITY_MARGIN_MS = 5_000;

/**
 * The delivery workers' variables (SUBSCRIPTION_WORKERS and
 * SUBSCRIPTION_DELIVERY_*), as one group for the service's schema
 * (`delivery: deliveryConfig()`), so a back-off whose first step is longer
 * than its cap fails the start by name. SUBSCRIPTION_INBOX_MAX_ATTEMPTS is
 * the matcher's (Kafka deliveries of an event), not these HTTP attempts.
 */
export function deliveryConfig(): ConfigGroup<DeliveryConfig> {
  return {
    group: true,
    read(source: Env, problems: string[]): DeliveryConfig {
      const read = <T>(field: Parameters<typeof readField<T>>[0]) =>
        readField(field, source, problems);
      const workers = read(env.int('SUBSCRIPTION_WORKERS', { default: 4, min: 1, max: 256 }));
      const timeoutMs = read(
        env.int('SUBSCRIPTION_DELIVERY_TIMEOUT_MS', { default: 10_000, min: 100, max: 300_000 }),
      );
      const maxAttempts = read(
        env.int('SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS', { default: 8, min: 1, max: 100 }),
      );
      const initialMs = read(
        env.int('SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS', {
          default: 1_000,
          min: 1,
          max: LONGEST_DELAY_MS,
        }),
      );
      const maxMs = read(
        env.int('SUBSCRIPTION_DELIVERY_RETRY_MAX_MS', {
          default: 300_000,
          min: 1,
          max: LONGEST_DELAY_MS,
        }),
      );
      const retryAfterMaxMs = read(
        env.int('SUBSCRIPTION_DELIVERY_RETRY_AFTER_MAX_MS', {
          default: LONGEST_DELAY_MS,
          min: 0,
          max: LONGEST_DELAY_MS,
        }),
      );
      // SQS hides a received job for this long, then hands it to another
      // worker: after a crash that is the wait before it is tried again. It
      // must outlast a POST to a slow sink, or the job is sent twice; unset,
      // it is 30 s or the delivery timeout plus the margin, whichever is longer.
      const visibilityVariable = 'SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS';
      const smallestVisibility = Math.ceil(((timeoutMs ?? 0) + VISIBILITY_MARGIN_MS) / 1_000);
      const visibilityTimeoutSeconds = read(
        env.int(visibilityVariable, {
          default: Math.max(30, smallestVisibility),
          min: 1,
          max: 43_200,
        }),
      );
      if (
        visibilityTimeoutSeconds !== undefined &&
        timeoutMs !== undefined &&
        visibilityTimeoutSeconds < smallestVisibility
      ) {
        problems.push(
          `${visibilityVariable}: must exceed SUBSCRIPTION_DELIVERY_TIMEOUT_MS by ${VISIBILITY_MARGIN_MS / 1_000} s (${visibilityTimeoutSeconds} s for a ${timeoutMs} ms timeout)`,
        );
      }
      if (initialMs !== undefined && maxMs !== undefined && initialMs > maxMs) {
        problems.push(
          `SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: must not exceed SUBSCRIPTION_DELIVERY_RETRY_MAX_MS (${initialMs} > ${maxMs})`,
        );
      }
      return Object.freeze({
        workers: workers!,
        timeoutMs: timeoutMs!,
        maxAttempts: maxAttempts!,
        backoff: Object.freeze({ initialMs: initialMs!, maxMs: maxMs!, jitter: 'full' as const }),
        retryAfterMaxMs: retryAfterMaxMs!,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds!,
      });
    },
  };
}
