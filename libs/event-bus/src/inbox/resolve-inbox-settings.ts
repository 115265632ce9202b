import type { Backoff } from '@switchboard/timing';
import type { InboxConsumerOptions } from './inbox-consumer';
import type { InboxDatabase } from './inbox-migrations';

/** The consumer's options with their defaults, checked once. */
export interface InboxSettings {
  readonly maxAttempts: number;
  /** retryBackoffMs in timing's terms, without jitter: the waits are exactly as configured. */
  readonly backoff: Backoff;
  readonly lagLogIntervalMs: number;
  readonly commitIntervalMs: number;
  readonly inboxRetentionMs: number;
  /** maxEventsPerTransaction. */
  readonly maxRun: number;
  /** How long one run's transaction may go on (see RUN_TIME_LIMIT_MS). */
  readonly runTimeLimitMs: number;
  readonly partitionsConsumedConcurrently: number;
}

/**
 * A run's transaction ends after this long, whatever its size: it holds its
 * rows' locks and one of the pool's connections meanwhile, which other
 * queries of the service may be waiting for. Runs of fast handlers end far
 * sooner.
 */
const RUN_TIME_LIMIT_MS = 250;

/** Throws, naming the option, for a value the consumer cannot work with. */
export function resolveInboxSettings<DB extends InboxDatabase>(
  options: InboxConsumerOptions<DB>,
): InboxSettings {
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.retryBackoffMs ?? { initial: 100, max: 5_000 };
  const commitIntervalMs = options.commitIntervalMs ?? 1_000;
  const maxRun = options.maxEventsPerTransaction ?? 500;
  const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`maxAttempts must be a whole number of at least 1 (got ${maxAttempts})`);
  }
  if (!Number.isInteger(maxRun) || maxRun < 1) {
    throw new Error(`maxEventsPerTransaction must be a whole number of at least 1 (got ${maxRun})`);
  }
  if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1) {
    throw new Error(
      `partitionsConsumedConcurrently must be a whole number of at least 1 (got ${partitionsConsumedConcurrently})`,
    );
  }
  if (backoff.initial < 0 || backoff.max < backoff.initial) {
    throw new Error(`retryBackoffMs needs 0 <= initial <= max (got ${JSON.stringify(backoff)})`);
  }
  return Object.freeze({
    maxAttempts,
    backoff: Object.freeze({ initialMs: backoff.initial, maxMs: backoff.max }),
    lagLogIntervalMs: options.lagLogIntervalMs ?? 30_000,
    commitIntervalMs,
    inboxRetentionMs: options.inboxRetentionMs ?? 7 * 24 * 60 * 60 * 1000,
    maxRun,
    runTimeLimitMs: Math.min(commitIntervalMs, RUN_TIME_LIMIT_MS),
    partitionsConsumedConcurrently,
  });
}
