import { performance } from 'node:perf_hooks';
import type { DescMessage } from '@bufbuild/protobuf';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type BatchObservableResult,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { TopicSpec } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { sql, type Storage, type Transaction } from '@switchboard/storage';
import { cloudEventHeaders } from '../cloudevents/cloud-event-headers';
import type {
  BatchControl,
  EventBus,
  EventConsumer,
  PartitionLag,
  RecordBatch,
} from '../event-bus';
import { REDRIVE_GROUP_HEADER, toDeadLetter } from '../dead-letters/dead-letter-headers';
import type { DecodedEvent } from '../cloudevents/decode-event';
import { decodeTrustedEvent } from '../cloudevents/decode-trusted-event';
import { isEventDecodeError } from '../cloudevents/event-decode-error';
import { eventBusTelemetry, messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import type { EventRecord } from '../event-record';
import type { InboxDatabase } from './inbox-migrations';
import { isStorageUnavailableError } from './is-storage-unavailable-error';
import { UnprocessableEventError } from './unprocessable-event-error';
import type { BatchItem, Subscription } from './on';
import { contextFromHeaders, spanContextFromHeaders } from '../telemetry/trace-context';

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

/** A record of a run: `event` is undefined for a type this group does not handle. */
interface RunItem {
  readonly record: EventRecord;
  readonly event: DecodedEvent | undefined;
}

/** How a run went: `done` items took effect, or none did and failedAt's handler threw. */
type RunResult =
  | { readonly done: number; readonly failedAt?: undefined; readonly error?: undefined }
  | { readonly done: 0; readonly failedAt: number | undefined; readonly error: unknown };

/**
 * A run's transaction ends after this long, whatever its size: it holds its
 * rows' locks and one of the pool's connections meanwhile, which other
 * queries of the service may be waiting for. Runs of fast handlers end far
 * sooner.
 */
const RUN_TIME_LIMIT_MS = 250;

type Outcome = 'handled' | 'duplicate' | 'skipped' | 'dead-lettered' | 'interrupted';

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
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.retryBackoffMs ?? { initial: 100, max: 5_000 };
  const lagLogIntervalMs = options.lagLogIntervalMs ?? 30_000;
  const commitIntervalMs = options.commitIntervalMs ?? 1_000;
  const inboxRetentionMs = options.inboxRetentionMs ?? 7 * 24 * 60 * 60 * 1000;
  const maxRun = options.maxEventsPerTransaction ?? 500;
  const runTimeLimitMs = Math.min(commitIntervalMs, RUN_TIME_LIMIT_MS);
  const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 3;
  let pruneTimer: NodeJS.Timeout | undefined;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`maxAttempts must be a whole number of at least 1 (got ${maxAttempts})`);
  }
  if (!Number.isInteger(maxRun) || maxRun < 1) {
    throw new Error(`maxEventsPerTransaction must be a whole number of at least 1 (got ${maxRun})`);
  }
  if (!Number.isInteger(partitionsConsumedConcurrently) || partitionsConsumedConcurrently < 1) {
    throw new Error(
      `partitionsConsumedConcurrently must be a whole number of at least 1 (got ${partitionsConsumedConcurrently})`,
    );
  }
  if (backoff.initial < 0 || backoff.max < backoff.initial) {
    throw new Error(`retryBackoffMs needs 0 <= initial <= max (got ${JSON.stringify(backoff)})`);
  }

  const { handlers, specs } = resolveSubscriptions(options.subscriptions, bus, groupId);
  const topics = specs.map((s) => s.name);

  const counters = { handled: 0, duplicates: 0, skipped: 0, deadLettered: 0, retried: 0 };
  let state: 'idle' | 'starting' | 'started' | 'stopped' = 'idle';
  let waitingForDatabase = false;
  let closing = false;
  let lagTimer: NodeJS.Timeout | undefined;
  const producer = bus.createProducer();

  const { tracer, meter } = eventBusTelemetry();
  const consumed = meter.createCounter('messaging.client.consumed.messages', {
    description: 'Records this group took off the topic, by outcome',
    unit: '{message}',
  });
  const processDuration = meter.createHistogram('messaging.process.duration', {
    description: 'Handling one event, transaction included (a run: its time per event)',
    unit: 's',
  });
  const retries = meter.createCounter('switchboard.messaging.retries', {
    description: 'Handler attempts that failed and were tried again',
    unit: '{attempt}',
  });
  const deadLetters = meter.createCounter('switchboard.messaging.dead_lettered', {
    description: "Records written to their topic's .dlq twin",
    unit: '{message}',
  });
  const lagGauge = meter.createObservableGauge('messaging.kafka.consumer.lag', {
    description: 'High watermark minus the committed offset, per partition',
    unit: '{message}',
  });
  /** The lag last read (by the lag log or a collection), so a scrape never waits on the broker. */
  let lastLag: { at: number; partitions: readonly PartitionLag[] } = { at: 0, partitions: [] };
  const LAG_REFRESH_MS = 10_000;
  const observeLag = (observer: BatchObservableResult) => {
    if (Date.now() - lastLag.at >= LAG_REFRESH_MS) void refreshLag().catch(() => undefined);
    for (const p of lastLag.partitions) {
      observer.observe(lagGauge, p.lag, {
        [attr.destination]: p.topic,
        [attr.partition]: String(p.partition),
        [attr.group]: groupId,
      });
    }
  };
  let lagRefresh: Promise<PartitionLag[]> | undefined;
  function refreshLag(): Promise<PartitionLag[]> {
    lagRefresh ??= bus
      .consumerLag(groupId, topics)
      .then((partitions) => {
        lastLag = { at: Date.now(), partitions };
        return partitions;
      })
      .finally(() => {
        lagRefresh = undefined;
      });
    return lagRefresh;
  }

  function metricAttributes(topic: string, type: string | undefined): Attributes {
    return {
      [attr.system]: 'kafka',
      [attr.destination]: topic,
      [attr.group]: groupId,
      [attr.eventType]: type ?? 'unknown',
    };
  }

  function countConsumed(record: EventRecord, outcome: Outcome, n = 1): void {
    if (outcome === 'interrupted' || n === 0) return;
    consumed.add(n, {
      ...metricAttributes(record.topic, record.headers[cloudEventHeaders.type]),
      'switchboard.outcome': outcome,
    });
  }

  function processAttributes(record: EventRecord): Attributes {
    return {
      [attr.system]: 'kafka',
      [attr.destination]: record.topic,
      [attr.operationType]: 'process',
      [attr.operationName]: 'process',
      [attr.group]: groupId,
      [attr.partition]: String(record.partition),
    };
  }

  const consumer: EventConsumer = bus.createConsumer({
    kind: 'batch',
    groupId,
    topics,
    fromBeginning: true,
    onBatch: handleBatch,
    partitionsConsumedConcurrently,
  });

  async function handleBatch(batch: RecordBatch, control: BatchControl): Promise<void> {
    let lastCommit = Date.now();
    const { records } = batch;
    // A record whose handler failed inside a run: the records before it are
    // handled again as a shorter run, then it goes alone, with that failure
    // counted as its first attempt so maxAttempts means what it says.
    let failed: { index: number; error: unknown } | undefined;
    try {
      let next = 0;
      while (next < records.length && !shouldStop(control)) {
        if (failed?.index === next) {
          const outcome = await handleRecord(records[next]!, control, failed.error);
          failed = undefined;
          if (outcome === 'interrupted') break;
          control.resolve(records[next]!.offset);
          next++;
        } else {
          const run = takeRun(records, next, failed ? failed.index - next : maxRun);
          // A run of one gains nothing and would cost a second attempt on failure.
          const result = run.length > 1 ? await applyRun(run, control) : undefined;
          if (result?.done) {
            next += result.done;
            control.resolve(records[next - 1]!.offset);
          } else if (result?.failedAt !== undefined) {
            failed = { index: next + result.failedAt, error: result.error };
          } else {
            // An undecodable record (run.length 0), a single one, or a run
            // that failed outside any handler: one event per transaction.
            const count = Math.max(run.length, 1);
            const reached = await handleOneByOne(records, next, count, control);
            if (reached < next + count) break; // interrupted
            next = reached;
          }
        }
        if (Date.now() - lastCommit >= commitIntervalMs) {
          await control.commit();
          lastCommit = Date.now();
        }
        await control.heartbeat();
      }
    } catch (err) {
      // A rebalance or a lost broker: keep what was handled from being handled
      // (and skipped) again by the next owner, if the broker still takes it.
      await control.commit().catch(() => undefined);
      throw err;
    }
    await control.commit();
  }

  /** Handles records[from, from + count) one transaction each; the index reached. */
  async function handleOneByOne(
    records: readonly EventRecord[],
    from: number,
    count: number,
    control: BatchControl,
  ): Promise<number> {
    for (let i = from; i < from + count; i++) {
      if (shouldStop(control)) return i;
      const outcome = await handleRecord(records[i]!, control);
      if (outcome === 'interrupted') return i;
      control.resolve(records[i]!.offset);
      await control.heartbeat();
    }
    return from + count;
  }

  /**
   * The longest run (at most `limit`) of records from `from` that can share a
   * transaction: each decodes or is of a type this group does not handle. It
   * ends before an undecodable record, which goes to the one-by-one path.
   */
  function takeRun(records: readonly EventRecord[], from: number, limit: number): RunItem[] {
    const run: RunItem[] = [];
    for (let i = from; i < records.length && run.length < limit; i++) {
      const record = records[i]!;
      if (!concernsThisGroup(record)) {
        run.push({ record, event: undefined });
        continue;
      }
      try {
        run.push({ record, event: decodeTrustedEvent(record, bus.registry) });
      } catch (err) {
        if (!isEventDecodeError(err)) throw err;
        break;
      }
    }
    return run;
  }

  /**
   * One transaction for a run: one multi-row inbox insert, then each new
   * event's handler in offset order. The run ends early, committing what it
   * did, once it has taken runTimeLimitMs or the consumer should stop; the
   * inbox rows of the events it did not reach are deleted before the commit.
   * On any failure nothing of the run took effect (done 0), and failedAt
   * tells which item's handler threw, when one did.
   */
  async function applyRun(run: readonly RunItem[], control: BatchControl): Promise<RunResult> {
    const events = run.flatMap((item) => (item.event ? [item.event] : []));
    if (events.length === 0) {
      counters.skipped += run.length;
      for (const { record } of run) countConsumed(record, 'skipped');
      return { done: run.length };
    }
    const started = Date.now();
    // One span for the run, linked to each event's producer: a span cannot
    // have several parents, and the run is one unit of work (one transaction).
    const links: Link[] = events.flatMap(({ record }) => {
      const linked = spanContextFromHeaders(record.headers);
      return linked ? [{ context: linked }] : [];
    });
    const first = run[0]!.record;
    const runSpan = tracer.startSpan(
      `${first.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: { ...processAttributes(first), [attr.batchCount]: run.length },
      },
      ROOT_CONTEXT,
    );
    const runStarted = performance.now();
    const outcomes: { record: EventRecord; outcome: Outcome }[] = [];
    const callbacks: { fn: () => void; eventLog: Logger }[] = [];
    const tally = { handled: 0, duplicates: 0, skipped: 0 };
    let done = 0;
    let inHandler: number | undefined;
    // A batch handler's failure belongs to no single event: the run then goes one by one.
    let batchFailed = false;
    try {
      await context.with(trace.setSpan(ROOT_CONTEXT, runSpan), () =>
        storage.db.transaction().execute(async (trx: Transaction<DB>) => {
          // One array per column: a statement of fixed size whatever the
          // run's length, cheaper to build, send and parse than a placeholder
          // per value.
          const inserted = await sql<{ event_id: string }>`
          insert into inbox (event_id, type, topic, partition, "offset")
          select * from unnest(${events.map((e) => e.id)}::text[],
                               ${events.map((e) => e.type)}::text[],
                               ${events.map((e) => e.record.topic)}::text[],
                               ${events.map((e) => e.record.partition)}::int4[],
                               ${events.map((e) => e.record.offset)}::int8[])
          on conflict (event_id) do nothing
          returning event_id`.execute(trx);
          // Ids this run inserted and has not handled yet; an id twice in one
          // run is inserted once, so only its first delivery is new.
          const fresh = new Set(inserted.rows.map((r) => r.event_id));
          while (done < run.length) {
            if (done > 0 && (shouldStop(control) || Date.now() - started >= runTimeLimitMs)) break;
            const { event, record } = run[done]!;
            if (event === undefined) {
              tally.skipped++;
              outcomes.push({ record, outcome: 'skipped' });
              done++;
              continue;
            }
            if (!fresh.delete(event.id)) {
              tally.duplicates++;
              outcomes.push({ record, outcome: 'duplicate' });
              done++;
              continue;
            }
            const subscription = handlers.get(event.type)!;
            if (subscription.handleBatch) {
              // This event and the new ones of its type right after it, in one call.
              const items = [batchItem(event)];
              for (let i = done + 1; i < run.length; i++) {
                const more = run[i]!.event;
                if (more?.type !== event.type || !fresh.delete(more.id)) break;
                items.push(batchItem(more));
              }
              batchFailed = true;
              await subscription.handleBatch(items, {
                trx,
                afterCommit: (fn) => {
                  callbacks.push({ fn, eventLog: log });
                },
              });
              batchFailed = false;
              for (const item of items)
                outcomes.push({ record: item.event.record, outcome: 'handled' });
              tally.handled += items.length;
              done += items.length;
              continue;
            }
            const item = batchItem(event);
            inHandler = done;
            await subscription.handle(event.message, {
              trx,
              event,
              get logger() {
                return item.logger;
              },
              afterCommit: (fn) => {
                callbacks.push({ fn, eventLog: item.logger });
              },
            });
            inHandler = undefined;
            outcomes.push({ record, outcome: 'handled' });
            tally.handled++;
            done++;
          }
          if (fresh.size > 0) {
            // Not reached: their ids must not claim they were handled.
            await sql`delete from inbox where event_id in (${sql.join([...fresh])})`.execute(trx);
          }
        }),
      );
    } catch (error) {
      log.debug({ err: error, events: events.length }, 'a run of events rolled back');
      runSpan.recordException(error as Error);
      runSpan.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
      runSpan.end();
      return { done: 0, failedAt: batchFailed ? undefined : inHandler, error };
    }
    runSpan.setAttributes({ 'switchboard.handled': tally.handled, [attr.batchCount]: done });
    runSpan.end();
    const perEvent = (performance.now() - runStarted) / 1000 / Math.max(1, tally.handled);
    // Counted per kind, not per record: building and hashing attributes for
    // every event was a visible share of a busy consumer's CPU.
    const kinds = new Map<string, { record: EventRecord; outcome: Outcome; n: number }>();
    for (const { record, outcome } of outcomes) {
      const key = `${outcome} ${record.topic} ${record.headers[cloudEventHeaders.type]}`;
      const kind = kinds.get(key);
      if (kind === undefined) kinds.set(key, { record, outcome, n: 1 });
      else kind.n++;
    }
    for (const { record, outcome, n } of kinds.values()) {
      countConsumed(record, outcome, n);
      if (outcome !== 'handled') continue;
      const attributes = metricAttributes(record.topic, record.headers[cloudEventHeaders.type]);
      for (let i = 0; i < n; i++) processDuration.record(perEvent, attributes);
    }
    counters.handled += tally.handled;
    counters.duplicates += tally.duplicates;
    counters.skipped += tally.skipped;
    for (const { fn, eventLog } of callbacks) runAfterCommit(fn, eventLog);
    return { done };
  }

  /**
   * The event with a logger made on first use: a child logger per event cost
   * a visible share of a busy consumer's CPU, and most handlers never log.
   */
  function batchItem(event: DecodedEvent): BatchItem<DescMessage> {
    let logger: Logger | undefined;
    return {
      message: event.message,
      event,
      get logger() {
        return (logger ??= eventLogger(event));
      },
    };
  }

  function eventLogger(event: DecodedEvent): Logger {
    return log.child({
      eventId: event.id,
      eventType: event.type,
      topic: event.record.topic,
      partition: event.record.partition,
      offset: event.record.offset,
    });
  }

  function runAfterCommit(fn: () => void, eventLog: Logger): void {
    try {
      // Typed as sync; an async one still must not become an unhandled rejection.
      const result: unknown = fn();
      if (result instanceof Promise) {
        result.catch((err: unknown) => eventLog.warn({ err }, 'afterCommit callback failed'));
      }
    } catch (err) {
      eventLog.warn({ err }, 'afterCommit callback failed');
    }
  }

  /** `earlier`: the error of an attempt already made (in a run), counted as the first. */
  async function handleRecord(
    record: EventRecord,
    control: BatchControl,
    earlier?: unknown,
  ): Promise<Outcome> {
    if (!concernsThisGroup(record)) {
      counters.skipped++;
      countConsumed(record, 'skipped');
      return 'skipped';
    }
    let event: DecodedEvent;
    try {
      event = decodeTrustedEvent(record, bus.registry);
    } catch (err) {
      if (!isEventDecodeError(err)) throw err;
      log.error(
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason: err.reason,
        },
        `dead-lettering a record no handler may see: ${err.message}`,
      );
      const outcome = await deadLetter(record, 0, `${err.reason}: ${err.message}`, control);
      countConsumed(record, outcome);
      return outcome;
    }
    // The process span: a child of the producer span whose context the
    // record carries (kept by dead letters and redrives), active while the
    // handler runs so its queries and log lines belong to that trace.
    const span = tracer.startSpan(
      `${record.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...processAttributes(record),
          [attr.messageId]: event.id,
          [attr.offset]: record.offset,
          [attr.eventType]: event.type,
          ...(record.key === null ? {} : { [attr.key]: record.key }),
        },
      },
      contextFromHeaders(record.headers),
    );
    const started = performance.now();
    let outcome: Outcome = 'interrupted';
    try {
      outcome = await context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
        attemptUntilSettled(event, record, control, span, earlier),
      );
      return outcome;
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      span.setAttribute('switchboard.outcome', outcome);
      span.end();
      countConsumed(record, outcome);
      if (outcome === 'handled') {
        processDuration.record(
          (performance.now() - started) / 1000,
          metricAttributes(record.topic, event.type),
        );
      }
    }
  }

  /** Attempts the handler until it commits, turns out a duplicate, or is dead-lettered. */
  async function attemptUntilSettled(
    event: DecodedEvent,
    record: EventRecord,
    control: BatchControl,
    span: Span,
    earlier: unknown,
  ): Promise<Outcome> {
    const subscription = handlers.get(event.type)!;
    const eventLog = eventLogger(event);

    let attempts = 0;
    let carried = earlier === undefined ? undefined : { err: earlier };
    for (;;) {
      attempts++;
      try {
        if (carried !== undefined) {
          const { err } = carried;
          carried = undefined;
          throw err;
        }
        const outcome = await applyOnce(event, subscription, eventLog);
        counters[outcome === 'handled' ? 'handled' : 'duplicates']++;
        if (outcome === 'duplicate') eventLog.debug('duplicate delivery skipped');
        return outcome;
      } catch (err) {
        if (await databaseUnavailable(err)) {
          attempts--; // the handler never got a fair chance
          if (!(await waitForDatabase(err, control))) return 'interrupted';
          continue;
        }
        if (attempts >= maxAttempts || err instanceof UnprocessableEventError) {
          eventLog.error({ err, attempts }, 'handler failed for good; dead-lettering the event');
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
          return deadLetter(record, attempts, errorMessage(err), control);
        }
        counters.retried++;
        retries.add(1, metricAttributes(record.topic, event.type));
        span.addEvent('retry', { attempt: attempts, 'exception.message': errorMessage(err) });
        const delay = backoffDelay(attempts);
        eventLog.warn({ err, attempt: attempts, retryInMs: delay }, 'handler failed; will retry');
        if (!(await pause(delay, control))) return 'interrupted';
      }
    }
  }

  /**
   * Routing by header, before anything is decoded. A type this group does not
   * subscribe to (or one this build does not know yet, from a newer producer)
   * is none of its business, and must not be dead-lettered by every group on
   * the topic. A record redriven for another group is that group's second
   * chance: this group handled (or skipped) the original already, and must
   * not apply it again once its inbox row is gone.
   */
  function concernsThisGroup(record: EventRecord): boolean {
    const target = record.headers[REDRIVE_GROUP_HEADER];
    if (target && target !== groupId) return false;
    const type = record.headers[cloudEventHeaders.type];
    return !type || handlers.has(type);
  }

  async function applyOnce(
    event: DecodedEvent,
    subscription: Subscription<DB>,
    eventLog: Logger,
  ): Promise<'handled' | 'duplicate'> {
    const callbacks: (() => void)[] = [];
    const { record } = event;
    const outcome = await storage.db.transaction().execute(async (trx: Transaction<DB>) => {
      // Waits on a concurrent insert of the same id (a rebalance overlap) and
      // then sees its outcome: the loser of that race skips.
      const inserted = await sql<{ event_id: string }>`
        insert into inbox (event_id, type, topic, partition, "offset")
        values (${event.id}, ${event.type}, ${record.topic}, ${record.partition}, ${BigInt(record.offset)})
        on conflict (event_id) do nothing
        returning event_id`.execute(trx);
      if (inserted.rows.length === 0) return 'duplicate' as const;
      await subscription.handle(event.message, {
        trx,
        event,
        logger: eventLog,
        afterCommit: (fn) => {
          callbacks.push(fn);
        },
      });
      return 'handled' as const;
    });
    for (const fn of callbacks) runAfterCommit(fn, eventLog);
    return outcome;
  }

  async function databaseUnavailable(err: unknown): Promise<boolean> {
    if (isStorageUnavailableError(err)) return true;
    // The authority for everything else: a handler's own ECONNREFUSED (from
    // calling another service) must count as a failure while the database is fine.
    try {
      await storage.ping();
      return false;
    } catch {
      return true;
    }
  }

  /** Holds the partition until the database answers; false when interrupted first. */
  async function waitForDatabase(cause: unknown, control: BatchControl): Promise<boolean> {
    if (!waitingForDatabase) {
      waitingForDatabase = true;
      log.warn({ err: cause }, 'database unavailable; holding consumption until it answers');
    }
    // What was handled before the outage is safe; do not make it wait for the database.
    await control.commit();
    let attempt = 0;
    for (;;) {
      attempt++;
      if (!(await pause(backoffDelay(attempt), control))) return false;
      try {
        await storage.ping();
        break;
      } catch {
        // still down
      }
    }
    waitingForDatabase = false;
    log.info('database answers again; resuming consumption');
    return true;
  }

  async function deadLetter(
    record: EventRecord,
    attempts: number,
    error: string,
    control: BatchControl,
  ): Promise<Outcome> {
    const letter = toDeadLetter(record, { attempts, error, groupId });
    let attempt = 0;
    for (;;) {
      try {
        // The letter keeps the record's headers, trace context included, so
        // a redriven event's process span joins the trace it started in.
        await producer.publishRaw([letter]);
        counters.deadLettered++;
        deadLetters.add(1, metricAttributes(record.topic, record.headers[cloudEventHeaders.type]));
        return 'dead-lettered';
      } catch (err) {
        // Never commit past a record whose dead letter is not acknowledged.
        attempt++;
        log.warn({ err, topic: letter.topic }, 'cannot write dead letter; will retry');
        if (!(await pause(backoffDelay(attempt), control))) return 'interrupted';
      }
    }
  }

  function backoffDelay(attempt: number): number {
    return Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
  }

  function shouldStop(control: BatchControl): boolean {
    return closing || !control.isRunning() || control.isStale();
  }

  /**
   * Sleeps in short slices, heartbeating so a long wait does not cost the
   * group membership; false as soon as the consumer should stop instead.
   */
  async function pause(ms: number, control: BatchControl): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if (shouldStop(control)) return false;
      const left = until - Date.now();
      if (left <= 0) return true;
      await new Promise((r) => setTimeout(r, Math.min(left, 200)));
      await control.heartbeat();
    }
  }

  async function lag(): Promise<PartitionLag[]> {
    return bus.consumerLag(groupId, topics);
  }

  let attempt: Promise<boolean> | undefined;
  let retrying: Promise<void> | undefined;
  let wakeRetry: () => void = () => {};

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
    meter.addBatchObservableCallback(observeLag, [lagGauge]);
    if (lagLogIntervalMs > 0) {
      lagTimer = setInterval(() => void logLag(), lagLogIntervalMs);
      lagTimer.unref();
    }
    void pruneInbox();
    pruneTimer = setInterval(() => void pruneInbox(), Math.min(inboxRetentionMs, 10 * 60_000));
    pruneTimer.unref();
    log.info({ topics, types: [...handlers.keys()] }, 'inbox consumer started');
    return true;
  }

  async function retryStart(): Promise<void> {
    for (let n = 0; !closing; n++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** n));
        wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (closing) return;
      attempt = tryStart();
      if (await attempt) return;
    }
  }

  let lagPending = false;
  /** The total lag last logged at info; undefined before the first reading. */
  let lastLoggedLag: number | undefined;
  /** Deletes inbox rows past their retention; replicas doing it at once is harmless. */
  async function pruneInbox() {
    try {
      const cutoff = new Date(Date.now() - inboxRetentionMs);
      const result = await sql`delete from inbox where processed_at < ${cutoff}`.execute(
        storage.db,
      );
      const pruned = Number(result.numAffectedRows ?? 0n);
      if (pruned > 0) log.info({ pruned }, 'pruned old inbox rows');
    } catch (err) {
      log.warn({ err }, 'inbox pruning failed; will try again');
    }
  }

  async function logLag() {
    if (lagPending) return;
    lagPending = true;
    try {
      const partitions = await refreshLag();
      const total = partitions.reduce((sum, p) => sum + p.lag, 0);
      // A consumer that stays caught up says so once, not every interval: an idle
      // system's logs (and the CPU of writing them) stay proportional to work.
      const level = total === 0 && lastLoggedLag === 0 ? 'debug' : 'info';
      if (level === 'info') lastLoggedLag = total;
      log[level](
        {
          lag: partitions.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            committed: p.committedOffset,
            high: p.highWatermark,
            lag: p.lag,
          })),
          total,
        },
        'consumer lag',
      );
    } catch (err) {
      log.debug({ err }, 'could not read consumer lag');
    } finally {
      lagPending = false;
    }
  }

  return {
    async start() {
      if (state !== 'idle') return;
      state = 'starting';
      attempt = tryStart();
      if (await attempt) return;
      // A service may start before the broker (its health says NOT_SERVING
      // meanwhile), so an unreachable broker is retried, not thrown.
      retrying = retryStart();
    },

    async close() {
      if (state === 'stopped') return;
      state = 'stopped';
      closing = true;
      wakeRetry();
      clearInterval(lagTimer);
      clearInterval(pruneTimer);
      meter.removeBatchObservableCallback(observeLag, [lagGauge]);
      // Never stop a consumer halfway through joining: let the attempt settle first.
      await retrying;
      await attempt;
      // kafkajs waits for the batch in flight; handleBatch sees `closing`,
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
      else if (waitingForDatabase) current = 'waiting-for-database';
      else if (base === 'running') current = 'running';
      else current = 'starting';
      return {
        state: current,
        groupId,
        topics,
        assignment: consumer.assignment(),
        ...counters,
      };
    },

    lag,
  };
}

function resolveSubscriptions<DB>(
  subscriptions: readonly Subscription<DB>[],
  bus: EventBus,
  groupId: string,
): { handlers: Map<string, Subscription<DB>>; specs: TopicSpec[] } {
  if (subscriptions.length === 0) {
    throw new Error(`inbox consumer ${groupId} has no subscriptions`);
  }
  const handlers = new Map<string, Subscription<DB>>();
  const specs = new Map<string, TopicSpec>();
  for (const subscription of subscriptions) {
    const type = subscription.schema.typeName;
    const registered = bus.registry.byType(type);
    if (!registered) {
      throw new Error(`${type} is not in the topic registry, so ${groupId} cannot subscribe to it`);
    }
    if (handlers.has(type)) {
      // Two handlers for one type would make "handled once" ambiguous.
      throw new Error(`${groupId} subscribes to ${type} twice`);
    }
    handlers.set(type, subscription);
    specs.set(registered.topic.name, registered.topic);
  }
  return { handlers, specs: [...specs.values()] };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
