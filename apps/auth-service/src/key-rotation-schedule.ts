import type { Logger } from '@switchboard/logger';
import { createPeriodicTask, type Clock } from '@switchboard/timing';
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
 * replica checks at start and then on its own timer; rotateIfOlderThan
 * decides under a database lock, so however many replicas check at once, the
 * key rotates once. `rotationHours` 0 turns it off.
 */
export function createKeyRotationSchedule(options: {
  keys: Pick<SigningKeys, 'rotateIfOlderThan'>;
  rotationHours: number;
  logger: Logger;
  /** Times the checks; tests pass a manual clock and step it. */
  clock?: Clock;
}): KeyRotationSchedule {
  const { keys, rotationHours, logger } = options;
  const maxAgeMs = rotationHours * 3_600_000;
  // A slow check (a busy database) delays the next one rather than stacking on it.
  const task = createPeriodicTask({
    intervalMs: Math.min(MAX_CHECK_MS, Math.max(1_000, maxAgeMs / 10)),
    runAtStart: true,
    clock: options.clock,
    run: async () => {
      const kid = await keys.rotateIfOlderThan(maxAgeMs);
      if (kid) logger.info({ kid }, 'rotated the signing key');
    },
    onError: (err) => logger.warn({ err }, 'signing key rotation check failed'),
  });

  return {
    start() {
      if (maxAgeMs > 0) task.start();
    },
    stop: task.close,
  };
}
