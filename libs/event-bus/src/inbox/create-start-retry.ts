/**
 * Starting that does not give up: a first attempt, then, while it fails,
 * more in the background with back-off (1 s doubling to 30 s), until one
 * succeeds or the consumer closes.
 */
export interface StartRetry {
  /** Makes the first attempt; true when it succeeded, else retrying goes on in the background. */
  start(): Promise<boolean>;
  /** Ends the back-off wait at once (closing: the loop then sees it should stop). */
  wake(): void;
  /** Resolves once no attempt is in flight and the retry loop has ended. */
  settled(): Promise<void>;
}

export function createStartRetry(
  tryStart: () => Promise<boolean>,
  isClosing: () => boolean,
): StartRetry {
  let attempt: Promise<boolean> | undefined;
  let retrying: Promise<void> | undefined;
  let wake: () => void = () => {};

  async function retry(): Promise<void> {
    for (let n = 0; !isClosing(); n++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** n));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (isClosing()) return;
      attempt = tryStart();
      if (await attempt) return;
    }
  }

  return {
    async start() {
      attempt = tryStart();
      if (await attempt) return true;
      retrying = retry();
      return false;
    },
    wake: () => wake(),
    async settled() {
      await retrying;
      await attempt;
    },
  };
}
