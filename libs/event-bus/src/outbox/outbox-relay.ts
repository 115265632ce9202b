import type { Logger } from '@switchboard/logger';
import type { Storage } from '@switchboard/storage';
import type { Clock } from '@switchboard/timing';
import type { EventProducer } from '../event-bus';
import type { OutboxDatabase } from './outbox-migrations';

export interface OutboxRelayOptions<DB extends OutboxDatabase = OutboxDatabase> {
  /** Any service database whose schema includes the outbox tables. */
  storage: Storage<DB>;
  producer: EventProducer;
  logger: Logger;
  /** Rows published per round trip. */
  batchSize?: number;
  /**
   * The safety poll while LISTEN works. Every commit that appends a row
   * NOTIFYs, and a reconnect of the LISTEN connection wakes the relay too, so
   * this only bounds how late a row goes out when a notification is lost some
   * other way (it is the worst case, not the normal delay). Idle, the relay
   * costs one query per interval, which is why it is long.
   */
  pollIntervalMs?: number;
  /** The poll while LISTEN is not established (it failed): the only way rows are found then. */
  unlistenedPollIntervalMs?: number;
  /** How long a relay may go silent before another replica takes over. */
  leaseMs?: number;
  /** Wait after a failed publish before trying the same rows again. */
  retryDelayMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
  /**
   * Times the relay's polls, retry waits and cleanup rounds (default: the
   * system clock); a test passes a manual one and steps it. The lease and the
   * retention cutoff are compared with PostgreSQL's timestamps and stay on
   * wall time.
   */
  clock?: Clock;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight, then stops. */
  close(): Promise<void>;
  /** Resolves once every row committed so far has been published (tests, shutdown). */
  drained(timeoutMs?: number): Promise<void>;
}
