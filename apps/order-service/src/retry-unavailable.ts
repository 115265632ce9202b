import { Code, ConnectError } from '@connectrpc/connect';
import { backoffDelay, sleep } from '@switchboard/timing';

export interface RetryOptions {
  /** Total tries, the first included. Defaults to 3. */
  attempts?: number;
  /** The back-off before the second try; doubled before each later one. Defaults to 50. */
  baseDelayMs?: number;
  /** Ceiling of one back-off. Defaults to 1000. */
  maxDelayMs?: number;
  /** Stops waiting (and retrying) when it aborts, e.g. the incoming call's signal. */
  signal?: AbortSignal;
  /** In [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
  /** The wait between tries: false when the signal aborted it. Injectable so tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/** Only UNAVAILABLE means the request was not processed: any other failure is the answer. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unavailable;
}

/**
 * Calls `call` until it succeeds, fails with anything but UNAVAILABLE, or has
 * been tried `attempts` times; the last failure is rethrown. Between tries it
 * waits a "full jitter" exponential back-off (a random delay up to
 * base × 2^(n-1), capped), so clients that failed together do not retry in
 * lockstep. Only for idempotent calls: a retry must be safe even when the
 * first try was processed and only its answer was lost.
 */
export async function retryUnavailable<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 3;
  const backoff = {
    initialMs: options.baseDelayMs ?? 50,
    maxMs: options.maxDelayMs ?? 1_000,
    jitter: 'full',
  } as const;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (attempt >= attempts || !isUnavailable(err) || options.signal?.aborted) throw err;
      const delay = backoffDelay(backoff, attempt, options.random);
      if (!(await wait(delay, options.signal)) || options.signal?.aborted) throw err;
    }
  }
}
