import type { Logger } from '@switchboard/logger';
import { createPeriodicTask, type Clock } from '@switchboard/timing';
import type { ReservationLedger } from './create-reservation-ledger';

export interface ReservationSweeperOptions {
  ledger: Pick<ReservationLedger, 'expireDue'>;
  intervalMs: number;
  logger: Logger;
  /** Reservations closed per transaction; a backlog is worked off in several. */
  batchSize?: number;
  /** Times the rounds; tests pass a manual clock and step it. */
  clock?: Clock;
}

export interface ReservationSweeper {
  start(): void;
  /** Waits for a sweep in progress, then stops. Safe to call twice. */
  close(): Promise<void>;
  /** One sweep now, until nothing is due; returns how many reservations it expired. */
  sweep(): Promise<number>;
}

/**
 * Expires reservations nobody committed within the TTL, giving their stock
 * back. Runs in every replica: the ledger's SKIP LOCKED query lets sweepers
 * share the work instead of needing a leader.
 */
export function createReservationSweeper(options: ReservationSweeperOptions): ReservationSweeper {
  const { ledger, intervalMs, batchSize = 100 } = options;
  const logger = options.logger.child({ component: 'reservation-sweeper' });
  const task = createPeriodicTask({
    intervalMs,
    clock: options.clock,
    run: sweep,
    // A database hiccup must not end the loop: the next round tries again.
    onError: (err) => logger.warn({ err }, 'reservation sweep failed'),
  });

  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await ledger.expireDue(batchSize);
      total += expired;
      if (expired < batchSize || task.stopped) break;
    }
    if (total > 0) logger.info({ expired: total }, 'expired reservations released their stock');
    return total;
  }

  return { start: task.start, close: task.close, sweep };
}
