import type { Clock } from '@switchboard/timing';
import type { Logger } from '@switchboard/logger';
import type { Storage } from '@switchboard/storage';
import type { EventBus, PartitionLag } from '../event-bus';
import type { InboxDatabase } from './inbox-migrations';
import type { Subscription } from './on';

export interface InboxConsumerOptions<DB extends InboxDatabase> {
  storage: Storage<DB>;
  bus: EventBus;
  logger: Logger;
  /** One consumer group per service, e.g. 'notification-service'. */
  groupId: string;
  /**
   * Topics are derived from the bus's registry by each subscription's type.
   * DB is taken from `storage` alone, so inline `on(...)` calls here get it too.
   */
  subscriptions: readonly Subscription<NoInfer<DB>>[];
  /** Handler attempts before a record is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Bounded exponential back-off between attempts (default 100..5000 ms). */
  retryBackoffMs?: { initial: number; max: number };
  /** How often consumer lag per partition is logged (default 30000 ms; 0 turns it off). */
  lagLogIntervalMs?: number;
  /**
   * What the lag log and the start retry wait on (default the system clock):
   * specs step a manual one instead of waiting out real seconds.
   */
  clock?: Clock;
  /**
   * How long an inbox row is kept (default 7 days). It only has to outlive the
   * window in which the same event can come again (redelivery after a crash,
   * a replay or redrive); without a bound the table grows forever.
   */
  inboxRetentionMs?: number;
  /**
   * Within a long batch, commit at least this often (default 1000 ms). A batch
   * is always committed when it ends; this only bounds how much is handled
   * again (and skipped as duplicates) after a crash.
   */
  commitIntervalMs?: number;
  /**
   * Consecutive records of one batch handled in one database transaction
   * (default 500). One commit per event made the database's commit, not the
   * handler, the cost of every event. A run that fails is rolled back: the
   * events before the failing one are handled again as a shorter run, and
   * the failing one alone, so retries, dead letters and database outages
   * still concern single events. A run also ends after RUN_TIME_LIMIT_MS.
   * 1 turns runs off.
   */
  maxEventsPerTransaction?: number;
  /**
   * Partitions whose batches are handled at once, each in its own
   * transaction (default 3). One at a time left the consumer waiting on the
   * database and the database waiting on the consumer; records of one
   * partition still go strictly in order.
   */
  partitionsConsumedConcurrently?: number;
}

export type InboxConsumerState =
  | 'idle'
  | 'starting'
  | 'running'
  /** Consumption is held: the database does not answer. Nothing is dead-lettered meanwhile. */
  | 'waiting-for-database'
  | 'crashed'
  | 'stopped';

export interface InboxConsumerStatus {
  readonly state: InboxConsumerState;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Partitions this member owns, by topic. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  /** Events whose handler committed, since start. */
  readonly handled: number;
  /** Deliveries skipped because the inbox already had their event id. */
  readonly duplicates: number;
  /** Records of types this group does not subscribe to, or redriven for another group. */
  readonly skipped: number;
  readonly deadLettered: number;
  /** Handler attempts that failed and were tried again. */
  readonly retried: number;
}

export interface InboxConsumer {
  /**
   * Creates missing topics, joins the group and starts handling. Resolves once
   * joined; when the broker cannot be reached it resolves after that first
   * attempt instead (status().state stays 'starting') and keeps trying in the
   * background, so a service can start before Kafka and catch up by itself.
   */
  start(): Promise<void>;
  /** Finishes the record in flight, commits what was handled, leaves the group. */
  close(): Promise<void>;
  status(): InboxConsumerStatus;
  /** High watermark − committed offset for every partition of the group's topics. */
  lag(): Promise<PartitionLag[]>;
}
