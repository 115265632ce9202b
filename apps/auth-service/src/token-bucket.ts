/**
 * Token buckets rather than fixed windows: a bucket lets a short burst
 * through (a user mistyping twice) while bounding the long-run rate, it has
 * no window edge where twice the budget fits into a moment, and the wait it
 * answers is exact: the time until the next token.
 */
export interface BucketSettings {
  /** Attempts allowed in a burst; a bucket left alone fills up to this. */
  capacity: number;
  /** One token comes back every this many milliseconds. */
  refillEveryMs: number;
}

export interface BucketState {
  tokens: number;
  /** Epoch milliseconds of the last change. */
  updatedAt: number;
}

export interface Take {
  allowed: boolean;
  /** When refused: how long until a token is back. 0 when allowed. */
  retryAfterMs: number;
  state: BucketState;
}

function refilled(state: BucketState | undefined, nowMs: number, settings: BucketSettings) {
  if (!state) return settings.capacity;
  // A clock that stepped back refills nothing rather than draining the bucket.
  const elapsed = Math.max(0, nowMs - state.updatedAt);
  return Math.min(settings.capacity, state.tokens + elapsed / settings.refillEveryMs);
}

/** Takes one token if there is one; a missing state is a full bucket. */
export function takeToken(
  state: BucketState | undefined,
  nowMs: number,
  settings: BucketSettings,
): Take {
  const tokens = refilled(state, nowMs, settings);
  if (tokens >= 1)
    return { allowed: true, retryAfterMs: 0, state: { tokens: tokens - 1, updatedAt: nowMs } };
  return {
    allowed: false,
    retryAfterMs: Math.max(1, Math.ceil((1 - tokens) * settings.refillEveryMs)),
    state: { tokens, updatedAt: nowMs },
  };
}

/** Gives one token back (the attempt turned out to be legitimate), never beyond capacity. */
export function returnToken(
  state: BucketState | undefined,
  nowMs: number,
  settings: BucketSettings,
): BucketState {
  return {
    tokens: Math.min(settings.capacity, refilled(state, nowMs, settings) + 1),
    updatedAt: nowMs,
  };
}

/** How long an untouched bucket takes to be full again, after which its state can be forgotten. */
export function fullAfterMs(settings: BucketSettings): number {
  return settings.capacity * settings.refillEveryMs;
}
