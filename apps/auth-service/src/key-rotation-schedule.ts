import type { Logger } from '@switchboard/logger';
import type { SigningKeys } from './signing-keys';

export interface KeyRotationSchedule {
  start(): void;
  /** Stops the timer and waits for a check in progress, so storage can close after it. */
  stop(): Promise<void>;
}

/** How often each replica asks whether the key is due; a small fraction of the rotation period. */
const MAX_CHECK_MS = 10 * 60_000;

/**
 * Rotates the signing key once it is older than `rotationHours`. Every
 * replica checks on its own timer; rotateIfOlderThan decides under a database
 * lock, so however many replicas check at once, the key rotates once.
 * `rotationHours` 0 turns it off.
 */
export function createKeyRotationSchedule(options: {
  keys: SigningKeys;
  rotationHours: number;
  logger: Logger;
}): KeyRotationSchedule {
  const { keys, rotationHours, logger } = options;
  const maxAgeMs = rotationHours * 3_600_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const check = () => {
    // A check still running (slow database) is not stacked upon.
    running ??= keys
      .rotateIfOlderThan(maxAgeMs)
      .then((kid) => {
        if (kid) logger.info({ kid }, 'rotated the signing key');
      })
      .catch((err: unknown) => logger.warn({ err }, 'signing key rotation check failed'))
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      if (maxAgeMs === 0 || timer) return;
      timer = setInterval(check, Math.min(MAX_CHECK_MS, Math.max(1_000, maxAgeMs / 10)));
      timer.unref();
      check();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
