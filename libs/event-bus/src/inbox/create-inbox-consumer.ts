import { createStartRetry } from '@switchboard/timing';
import type { EventConsumer } from '../event-bus';
import { createBatchHandler } from './create-batch-handler';
import { createDatabaseWaiter } from './create-database-waiter';
import { createDeadLetterWriter } from './create-dead-letter-writer';
import { createInboxPruner } from './create-inbox-pruner';
import { createInboxTelemetry } from './create-inbox-telemetry';
import { createLagMonitor } from './create-lag-monitor';
import { createPartitionPacer } from './create-partition-pacer';
import { createRecordHandler } from './create-record-handler';
import { createRecordRetrier } from './create-record-retrier';
import { createRunApplier } from './create-run-applier';
import type { InboxConsumer, InboxConsumerOptions, InboxConsumerState } from './inbox-consumer';
import type { InboxDatabase } from './inbox-migrations';
import { resolveInboxSettings } from './resolve-inbox-settings';
import { resolveSubscriptions } from './resolve-subscriptions';

/**
 * The consumer runtime: Kafka records in, handler effects in the service's
 * database, exactly once per event id.
 *
 * Each handler runs in a transaction that also inserts the event id into
 * `inbox`; when that id is already there the handler is skipped. Consecutive
 * records share one such transaction (a run, see maxEventsPerTransaction),
 * and a run that fails falls back to one transaction per event. Offsets are
 * committed only after the transactions of the records they cover committed,
 * so a crash at any point means redelivery, never loss, and a redelivery
 * means a skipped duplicate, never a second effect.
 *
 * Failures are sorted three ways:
 * - a record that cannot decode (EventDecodeError), or whose type belongs to
 *   another topic, or whose `ce_source` is not the one the registry allows
 *   for its type, is poison: it goes to `<topic>.dlq` at once, with
 *   `dlq_attempts` 0, and no handler sees it;
 * - the database being unreachable is nobody's fault: a failure that carries
 *   a connection-loss signature (StorageError, SQLSTATE 08xxx/57P01-3/53300,
 *   pg's "Connection terminated") or that happens while `storage.ping()` fails
 *   holds the partition and retries until the database answers, without
 *   counting an attempt, so a Postgres restart never dead-letters a stream;
 * - anything else is the handler's failure: retried with bounded exponential
 *   back-off, and after `maxAttempts` the record is dead-lettered.
 * The partition then moves on, so a poison record never stalls it.
 */
export function createInboxConsumer<DB extends InboxDatabase>(
  options: InboxConsumerOptions<DB>,
): InboxConsumer {
  const { storage, bus, groupId } = options;
  const log = options.logger.child({ component: 'inbox-consumer', groupId });
  const settings = resolveInboxSettings(options);
  const { handlers, specs } = resolveSubscriptions(options.subscriptions, bus.registry, groupId);
  const topics = specs.map((s) => s.name);
  const routing = { groupId, handledTypes: handlers, registry: bus.registry };

  let state: 'idle' | 'starting' | 'started' | 'stopped' = 'idle';
  let closing = false;
  const producer = bus.createProducer();
  const telemetry = createInboxTelemetry(groupId);
  const pacer = createPartitionPacer(() => closing);
  const database = createDatabaseWaiter({ storage, log, backoff: settings.backoff, pacer });
  const writeDeadLetter = createDeadLetterWriter({
    producer,
    groupId,
    log,
    backoff: settings.backoff,
    pacer,
    telemetry,
  });
  const handleRecord = createRecordHandler({
    ...routing,
    log,
    telemetry,
    writeDeadLetter,
    attemptUntilSettled: createRecordRetrier({
      storage,
      handlers,
      log,
      maxAttempts: settings.maxAttempts,
      backoff: settings.backoff,
      pacer,
      database,
      writeDeadLetter,
      telemetry,
    }),
  });
  const applyRun = createRunApplier({
    storage,
    handlers,
    log,
    runTimeLimitMs: settings.runTimeLimitMs,
    pacer,
    telemetry,
  });
  const lagMonitor = createLagMonitor({
    bus,
    groupId,
    topics,
    log,
    meter: telemetry.meter,
    logIntervalMs: settings.lagLogIntervalMs,
    clock: options.clock,
  });
  const pruner = createInboxPruner({ storage, log, retentionMs: settings.inboxRetentionMs });

  const consumer: EventConsumer = bus.createConsumer({
    kind: 'batch',
    groupId,
    topics,
    fromBeginning: true,
    onBatch: createBatchHandler({
      routing,
      maxRun: settings.maxRun,
      commitIntervalMs: settings.commitIntervalMs,
      pacer,
      applyRun,
      handleRecord,
    }),
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
  });

  /** One attempt to create the topics and join the group; false when the broker is not there. */
  async function tryStart(): Promise<boolean> {
    try {
      // Services never rely on auto-creation, and a dead letter needs its `.dlq` twin.
      await bus.ensureTopics(specs);
      await consumer.start();
    } catch (err) {
      log.warn({ err }, 'cannot start consuming yet; will retry');
      return false;
    }
    if (closing) return true; // close() is waiting on this attempt and stops the consumer
    state = 'started';
    lagMonitor.start();
    pruner.start();
    log.info({ topics, types: [...handlers.keys()] }, 'inbox consumer started');
    return true;
  }

  const startRetry = createStartRetry(tryStart, () => closing, options.clock);

  return {
    async start() {
      if (state !== 'idle') return;
      state = 'starting';
      // A service may start before the broker (its health says NOT_SERVING
      // meanwhile), so an unreachable broker is retried, not thrown.
      await startRetry.start();
    },

    async close() {
      if (state === 'stopped') return;
      state = 'stopped';
      closing = true;
      startRetry.wake();
      lagMonitor.stop();
      pruner.stop();
      // Never stop a consumer halfway through joining: let the attempt settle first.
      await startRetry.settled();
      // kafkajs waits for the batch in flight; the batch handler sees `closing`,
      // commits what it handled and returns, then the member leaves the group.
      await consumer.stop();
      await producer.close();
    },

    status() {
      const base = consumer.status();
      let current: InboxConsumerState;
      if (state === 'stopped') current = 'stopped';
      else if (state === 'idle') current = 'idle';
      else if (base === 'crashed') current = 'crashed';
      else if (database.waiting) current = 'waiting-for-database';
      else if (base === 'running') current = 'running';
      else current = 'starting';
      return {
        state: current,
        groupId,
        topics,
        assignment: consumer.assignment(),
        ...telemetry.counts,
      };
    },

    lag: () => bus.consumerLag(groupId, topics),
  };
}
