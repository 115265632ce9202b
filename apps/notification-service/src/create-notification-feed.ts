import { SpanKind, context, trace, type Context, type Span } from '@opentelemetry/api';
import { DomainError } from '@switchboard/errors';
import { contextFromStored } from '@switchboard/event-bus';
import type { Logger } from '@switchboard/logger';
import type { Storage, Unlisten } from '@switchboard/storage';
import type { NotificationStore } from './create-notification-store';
import { notificationLimits } from './notification-limits';
import type { NotificationDatabase, NotificationRow } from './notification-schema';
import { NOTIFICATION_CHANNEL, decodeSignal } from './notification-signal';

export interface NotificationFeed {
  /** LISTENs for new notifications; watchers hear of commits from then on. */
  start(): Promise<void>;
  /**
   * The recipient's notifications as they are committed, by whichever
   * replica: nothing from before the call. Ends when `signal` aborts; throws
   * WATCH_FELL_BEHIND for a reader too slow to keep up, WATCH_UNAVAILABLE when
   * the feed closes.
   */
  watch(recipientId: string, signal: AbortSignal): AsyncGenerator<NotificationRow>;
  /** Open watches, of one recipient or in total. */
  watchers(recipientId?: string): number;
  /** Ends every watch (WATCH_UNAVAILABLE) and stops listening. */
  close(): Promise<void>;
}

export interface NotificationFeedOptions {
  storage: Storage<NotificationDatabase>;
  store: NotificationStore;
  logger: Logger;
  maxWatchesPerUser?: number;
  maxQueue?: number;
  /** Ids a watcher remembers having sent, so a catch-up never repeats one. */
  maxRemembered?: number;
}

interface Watcher {
  readonly recipientId: string;
  readonly queue: NotificationRow[];
  /** Sent or queued ids → seq, oldest first. */
  readonly delivered: Map<string, bigint>;
  /** A catch-up sends only rows above this; undefined until the start position is known. */
  floorSeq: bigint | undefined;
  error: DomainError | undefined;
  wake: (() => void) | undefined;
}

const CATCH_UP_PAGE = 500;
const ID_QUERY_CHUNK = 1_000;
const RETRY_DELAY_MS = 1_000;

/**
 * The live side of notifications, per replica. The fan-out, at whichever
 * replica consumed the post, NOTIFYs [recipient, notification id] pairs in
 * its transaction; PostgreSQL delivers them on commit to every replica's
 * listener; each replica reads the rows of the recipients it has watchers
 * for, by primary key, and queues them on those watchers. The NOTIFY is only
 * a wake-up: rows are always read from the database, so a watcher sees
 * exactly what committed.
 *
 * If the LISTEN connection drops, signals sent meanwhile are lost; on
 * reconnect every watcher catches up from the database (rows above its start
 * position it has not been sent). The same happens when reading rows fails.
 */
export function createNotificationFeed(options: NotificationFeedOptions): NotificationFeed {
  const { storage, store } = options;
  const logger = options.logger.child({ component: 'notification-feed' });
  const maxWatchesPerUser = options.maxWatchesPerUser ?? notificationLimits.maxWatchesPerUser;
  const maxQueue = options.maxQueue ?? notificationLimits.maxWatchQueue;
  const maxRemembered = options.maxRemembered ?? 10_000;

  const tracer = trace.getTracer('switchboard/notification-service');
  const byRecipient = new Map<string, Set<Watcher>>();
  /** notification id → recipient, waiting to be read. */
  let pending = new Map<string, string>();
  let flushing: Promise<void> | undefined;
  let unlisten: Unlisten | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  function wakeUp(watcher: Watcher): void {
    const wake = watcher.wake;
    watcher.wake = undefined;
    wake?.();
  }

  function push(watcher: Watcher, row: NotificationRow): void {
    if (watcher.error !== undefined || watcher.delivered.has(row.notification_id)) return;
    if (watcher.queue.length >= maxQueue) {
      watcher.error = new DomainError(
        'WATCH_FELL_BEHIND',
        `more than ${maxQueue} notifications waited to be read: watch again and use ListNotifications for what was missed`,
      );
      wakeUp(watcher);
      return;
    }
    watcher.delivered.set(row.notification_id, row.seq);
    if (watcher.delivered.size > maxRemembered) {
      // Forget the oldest, and never catch up below it again.
      const [oldestId, oldestSeq] = watcher.delivered.entries().next().value as [string, bigint];
      watcher.delivered.delete(oldestId);
      if (watcher.floorSeq !== undefined && oldestSeq > watcher.floorSeq) {
        watcher.floorSeq = oldestSeq;
      }
    }
    watcher.queue.push(row);
    wakeUp(watcher);
  }

  function deliver(row: NotificationRow, onlyAboveFloor: boolean): void {
    for (const watcher of byRecipient.get(row.recipient_id) ?? []) {
      if (onlyAboveFloor && (watcher.floorSeq === undefined || row.seq <= watcher.floorSeq)) {
        continue;
      }
      push(watcher, row);
    }
  }

  async function flush(): Promise<void> {
    while (pending.size > 0 && !closed) {
      const batch = pending;
      pending = new Map();
      const ids = [...batch.keys()];
      try {
        for (let i = 0; i < ids.length; i += ID_QUERY_CHUNK) {
          const rows = await store.byIds(ids.slice(i, i + ID_QUERY_CHUNK));
          for (const row of rows) deliver(row, false);
        }
      } catch (err) {
        logger.warn({ err }, 'could not read new notifications; catching up shortly');
        scheduleCatchUp(new Set(batch.values()));
      }
    }
  }

  function onSignal(payload: string): void {
    if (closed) return;
    for (const { recipientId, notificationId } of decodeSignal(payload)) {
      if (byRecipient.has(recipientId)) pending.set(notificationId, recipientId);
    }
    kick();
  }

  /** One read at a time; signals arriving meanwhile are batched into the next. */
  function kick(): void {
    if (pending.size === 0 || flushing !== undefined || closed) return;
    flushing = flush().finally(() => {
      flushing = undefined;
      kick(); // a signal that arrived while the last read was finishing
    });
  }

  async function catchUp(recipients: Iterable<string>): Promise<void> {
    for (const recipientId of recipients) {
      const watchers = [...(byRecipient.get(recipientId) ?? [])];
      const floors = watchers.flatMap((w) => (w.floorSeq === undefined ? [] : [w.floorSeq]));
      if (floors.length === 0) continue;
      let after = floors.reduce((a, b) => (a < b ? a : b));
      for (;;) {
        const rows = await store.after(recipientId, after, CATCH_UP_PAGE);
        for (const row of rows) deliver(row, true);
        const last = rows.at(-1);
        if (rows.length < CATCH_UP_PAGE || last === undefined) break;
        after = last.seq;
      }
    }
  }

  function scheduleCatchUp(recipients: Set<string>): void {
    if (closed || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      catchUp(recipients).catch((err: unknown) => {
        logger.warn({ err }, 'notification catch-up failed; trying again');
        scheduleCatchUp(recipients);
      });
    }, RETRY_DELAY_MS);
    retryTimer.unref();
  }

  function register(watcher: Watcher): void {
    let set = byRecipient.get(watcher.recipientId);
    if (set === undefined) byRecipient.set(watcher.recipientId, (set = new Set()));
    set.add(watcher);
  }

  function unregister(watcher: Watcher): void {
    const set = byRecipient.get(watcher.recipientId);
    set?.delete(watcher);
    if (set?.size === 0) byRecipient.delete(watcher.recipientId);
  }

  /**
   * A span for sending one notification down a stream. Its parent is the
   * fan-out that wrote the row (the PostCreated's trace, whichever replica
   * consumed it), linked to the long-lived WatchNotifications call; a row
   * without a stored context is a child of that call instead.
   */
  function pushSpan(row: NotificationRow, stream: Context): Span {
    const streamSpan = trace.getSpanContext(stream);
    const traced = row.trace_context !== null;
    return tracer.startSpan(
      'WatchNotifications push',
      {
        kind: SpanKind.INTERNAL,
        links:
          traced && streamSpan && trace.isSpanContextValid(streamSpan)
            ? [{ context: streamSpan }]
            : [],
        attributes: {
          'rpc.system': 'grpc',
          'rpc.method': 'WatchNotifications',
          'switchboard.notification_id': row.notification_id,
        },
      },
      traced ? contextFromStored(row.trace_context) : stream,
    );
  }

  const unavailable = () =>
    new DomainError('WATCH_UNAVAILABLE', 'this replica is shutting down: watch again');

  return {
    async start() {
      unlisten = await storage.listen(NOTIFICATION_CHANNEL, onSignal, {
        onReconnect: () => {
          logger.info('notification listener reconnected; catching every watcher up');
          catchUp([...byRecipient.keys()]).catch((err: unknown) => {
            logger.warn({ err }, 'notification catch-up failed; trying again');
            scheduleCatchUp(new Set(byRecipient.keys()));
          });
        },
      });
    },

    async *watch(recipientId, signal) {
      if (closed) throw unavailable();
      if ((byRecipient.get(recipientId)?.size ?? 0) >= maxWatchesPerUser) {
        throw new DomainError(
          'TOO_MANY_WATCHES',
          `at most ${maxWatchesPerUser} WatchNotifications streams per user may be open at once`,
        );
      }
      const watcher: Watcher = {
        recipientId,
        queue: [],
        delivered: new Map(),
        floorSeq: undefined,
        error: undefined,
        wake: undefined,
      };
      // Registered before the start position is read, so a notification
      // committed in between is signalled rather than lost.
      register(watcher);
      const stream = context.active();
      const onAbort = () => wakeUp(watcher);
      signal.addEventListener('abort', onAbort);
      try {
        watcher.floorSeq = await store.latestSeq(recipientId);
        for (;;) {
          if (signal.aborted) return;
          if (watcher.error !== undefined) throw watcher.error;
          const row = watcher.queue.shift();
          if (row !== undefined) {
            // Ends when the caller asks for the next one: the message was handed to the stream.
            const span = pushSpan(row, stream);
            try {
              yield row;
            } finally {
              span.end();
            }
            continue;
          }
          await new Promise<void>((resolve) => (watcher.wake = resolve));
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
        unregister(watcher);
      }
    },

    watchers(recipientId) {
      if (recipientId !== undefined) return byRecipient.get(recipientId)?.size ?? 0;
      let total = 0;
      for (const set of byRecipient.values()) total += set.size;
      return total;
    },

    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      for (const set of byRecipient.values()) {
        for (const watcher of set) {
          watcher.error ??= unavailable();
          wakeUp(watcher);
        }
      }
      await flushing;
      await unlisten?.().catch(() => undefined);
    },
  };
}
