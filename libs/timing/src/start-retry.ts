/**
 * Starting that does not give up: a first attempt, then, while it fails,
 * more in the background with back-off (1 s doubling to 5 s), until one
 * succeeds or its owner (a consumer, a service's queue) closes.
 */
export interface StartRetry {
  /** Makes the first attempt; true when it succeeded, else retrying goes on in the background. */
  start(): Promise<boolean>;
  /** Ends the back-off wait at once (closing: the loop then sees it should stop). */
  wake(): void;
  /** Resolves once no attempt is in flight and the retry loop has ended. */
  settled(): Promise<void>;
}
