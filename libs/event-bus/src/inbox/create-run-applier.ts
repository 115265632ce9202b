import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Link,
} from '@opentelemetry/api';
import type { Logger } from '@switchboard/logger';
import { sql, type Storage, type Transaction } from '@switchboard/storage';
import { cloudEventHeaders } from '../cloudevents/cloud-event-headers';
import { errorMessage } from '../error-message';
import type { BatchControl } from '../event-bus';
import type { EventRecord } from '../event-record';
import { messagingAttributes as attr } from '../telemetry/event-bus-telemetry';
import { spanContextFromHeaders } from '../telemetry/trace-context';
import type { InboxTelemetry } from './create-inbox-telemetry';
import type { PartitionPacer } from './create-partition-pacer';
import type { InboxDatabase } from './inbox-migrations';
import type { Subscription } from './on';
import type { Outcome } from './outcome';
import { runAfterCommit } from './run-after-commit';
import type { RunItem } from './take-run';
import { toBatchItem } from './to-batch-item';

/** How a run went: `done` items took effect, or none did and failedAt's handler threw. */
export type RunResult =
  | { readonly done: number; readonly failedAt?: undefined; readonly error?: undefined }
  | { readonly done: 0; readonly failedAt: number | undefined; readonly error: unknown };

/**
 * One transaction for a run: one multi-row inbox insert, then each new
 * event's handler in offset order. The run ends early, committing what it
 * did, once it has taken runTimeLimitMs or the consumer should stop; the
 * inbox rows of the events it did not reach are deleted before the commit.
 * On any failure nothing of the run took effect (done 0), and failedAt
 * tells which item's handler threw, when one did.
 */
export type RunApplier = (run: readonly RunItem[], control: BatchControl) => Promise<RunResult>;

export interface RunApplierOptions<DB extends InboxDatabase> {
  readonly storage: Storage<DB>;
  readonly handlers: ReadonlyMap<string, Subscription<DB>>;
  readonly log: Logger;
  readonly runTimeLimitMs: number;
  readonly pacer: PartitionPacer;
  readonly telemetry: InboxTelemetry;
}

export function createRunApplier<DB extends InboxDatabase>(
  options: RunApplierOptions<DB>,
): RunApplier {
  const { storage, handlers, log, runTimeLimitMs, pacer, telemetry } = options;
  return async (run, control) => {
    const events = run.flatMap((item) => (item.event ? [item.event] : []));
    if (events.length === 0) {
      for (const { record } of run) telemetry.consumed(record, 'skipped');
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
    const runSpan = telemetry.tracer.startSpan(
      `${first.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: { ...telemetry.processAttributes(first), [attr.batchCount]: run.length },
      },
      ROOT_CONTEXT,
    );
    const runStarted = performance.now();
    const outcomes: { record: EventRecord; outcome: Outcome }[] = [];
    const callbacks: { fn: () => void; eventLog: Logger }[] = [];
    let handled = 0;
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
            if (done > 0 && (pacer.shouldStop(control) || Date.now() - started >= runTimeLimitMs))
              break;
            const { event, record } = run[done]!;
            if (event === undefined) {
              outcomes.push({ record, outcome: 'skipped' });
              done++;
              continue;
            }
            if (!fresh.delete(event.id)) {
              outcomes.push({ record, outcome: 'duplicate' });
              done++;
              continue;
            }
            const subscription = handlers.get(event.type)!;
            if (subscription.handleBatch) {
              // This event and the new ones of its type right after it, in one call.
              const items = [toBatchItem(log, event)];
              for (let i = done + 1; i < run.length; i++) {
                const more = run[i]!.event;
                if (more?.type !== event.type || !fresh.delete(more.id)) break;
                items.push(toBatchItem(log, more));
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
              handled += items.length;
              done += items.length;
              continue;
            }
            const item = toBatchItem(log, event);
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
            handled++;
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
    runSpan.setAttributes({ 'switchboard.handled': handled, [attr.batchCount]: done });
    runSpan.end();
    const perEvent = (performance.now() - runStarted) / 1000 / Math.max(1, handled);
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
      telemetry.consumed(record, outcome, n);
      if (outcome === 'handled') telemetry.processed(record, perEvent, n);
    }
    for (const { fn, eventLog } of callbacks) runAfterCommit(fn, eventLog);
    return { done };
  };
}
