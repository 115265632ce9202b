import type { Logger } from '@switchboard/logger';
import type { Storage } from '@switchboard/storage';
import { backoffDelay, type Backoff } from '@switchboard/timing';
import type { BatchControl } from '../event-bus';
import type { PartitionPacer } from './create-partition-pacer';
import { isDatabaseUnavailableError } from '@switchboard/errors';

/**
 * The database being unreachable is nobody's fault: consumption is held
 * until it answers, and no handler attempt is counted meanwhile.
 */
export interface DatabaseWaiter {
  /** True while some partition is held for the database (status: 'waiting-for-database'). */
  readonly waiting: boolean;
  /** Whether `err` means the database could not be reached rather than that a handler failed. */
  isUnavailable(err: unknown): Promise<boolean>;
  /** Holds the partition until the database answers; false when interrupted first. */
  waitUntilAvailable(cause: unknown, control: BatchControl): Promise<boolean>;
}

export interface DatabaseWaiterOptions {
  /** Only ping() is used: the authority on whether the database answers. */
  readonly storage: Pick<Storage<unknown>, 'ping'>;
  readonly log: Logger;
  readonly backoff: Backoff;
  readonly pacer: PartitionPacer;
}

export function createDatabaseWaiter(options: DatabaseWaiterOptions): DatabaseWaiter {
  const { storage, log, backoff, pacer } = options;
  let waiting = false;
  return {
    get waiting() {
      return waiting;
    },

    async isUnavailable(err) {
      if (isDatabaseUnavailableError(err)) return true;
      // The authority for everything else: a handler's own ECONNREFUSED (from
      // calling another service) must count as a failure while the database is fine.
      try {
        await storage.ping();
        return false;
      } catch {
        return true;
      }
    },

    async waitUntilAvailable(cause, control) {
      if (!waiting) {
        waiting = true;
        log.warn({ err: cause }, 'database unavailable; holding consumption until it answers');
      }
      // What was handled before the outage is safe; do not make it wait for the database.
      await control.commit();
      let attempt = 0;
      for (;;) {
        attempt++;
        if (!(await pacer.pause(backoffDelay(backoff, attempt), control))) return false;
        try {
          await storage.ping();
          break;
        } catch {
          // still down
        }
      }
      waiting = false;
      log.info('database answers again; resuming consumption');
      return true;
    },
  };
}
