import pg from 'pg';
import type { Logger } from '@switchboard/logger';
import {
  backoffDelay,
  createPeriodicTask,
  type Backoff,
  type PeriodicTask,
} from '@switchboard/timing';
import { StorageError, describeCause } from '../errors/storage-error';

export type Unlisten = () => Promise<void>;

export interface ListenOptions {
  /**
   * Called after the listening connection was lost and re-established.
   * Notifications sent while it was down are lost, so a consumer that uses
   * them as wake-ups (the outbox relay) should look for work here.
   */
  onReconnect?: () => void;
}

export interface NotificationListener {
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<Unlisten>;
  close(): Promise<void>;
}

export interface PgNotificationListenerOptions {
  connectionString: string;
  /** The target with its password masked, for messages. */
  location: string;
  logger: Logger;
  applicationName?: string;
  connectTimeoutMs?: number;
  /** First wait before reconnecting; doubles per failed attempt up to `maxDelayMs`. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  /**
   * How often the idle connection is probed. A LISTEN connection sends nothing
   * on its own, so without a probe a silently dropped connection (a restarted
   * proxy, a NAT timeout) would go unnoticed and notifications would stop.
   */
  heartbeatMs?: number;
}

interface Subscriber {
  onNotify: (payload: string) => void;
  onReconnect?: () => void;
}

/** Channel names are plain lower-case identifiers, so they mean the same in LISTEN and pg_notify. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertChannelName(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw new Error(
      `invalid notification channel ${JSON.stringify(channel)}: use lower-case letters, digits and underscores`,
    );
  }
}

/**
 * LISTEN/NOTIFY against a PostgreSQL server on one dedicated connection (a
 * pooled one would be handed to other queries and lose its LISTENs). When that
 * connection drops it is re-opened with exponential back-off, every channel is
 * listened to again, and subscribers are told through `onReconnect`.
 */
export function createPgNotificationListener(
  options: PgNotificationListenerOptions,
): NotificationListener {
  const { logger, location } = options;
  // Jitter keeps replicas that lost the server together from retrying in lockstep.
  const reconnectBackoff: Backoff = {
    initialMs: options.retryInitialDelayMs ?? 200,
    maxMs: options.retryMaxDelayMs ?? 5000,
    jitter: 0.2,
  };
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const channels = new Map<string, Set<Subscriber>>();

  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let heartbeat: PeriodicTask | undefined;
  let attempt = 0;
  let closed = false;

  function dispatch(message: pg.Notification): void {
    const subscribers = channels.get(message.channel);
    if (!subscribers) return;
    for (const subscriber of [...subscribers]) {
      try {
        subscriber.onNotify(message.payload ?? '');
      } catch (err) {
        logger.error({ err, channel: message.channel }, 'notification handler failed');
      }
    }
  }

  function onLost(lost: pg.Client, err?: Error): void {
    if (client !== lost) return; // an older connection, already replaced
    client = undefined;
    stopHeartbeat();
    lost.end().catch(() => undefined);
    if (closed) return;
    logger.warn({ err }, 'notification connection lost; reconnecting');
    scheduleReconnect();
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      keepAlive: true,
      application_name: options.applicationName,
    });
    // pg emits 'error' on a broken connection; unhandled it would crash the process.
    fresh.on('error', (err) => onLost(fresh, err));
    fresh.on('end', () => onLost(fresh));
    fresh.on('notification', dispatch);
    try {
      await fresh.connect();
      for (const channel of channels.keys()) await fresh.query(`LISTEN ${channel}`);
    } catch (err) {
      fresh.end().catch(() => undefined);
      throw new StorageError(
        `cannot open the notification connection to ${location}: ${describeCause(err)}`,
        location,
        { cause: err },
      );
    }
    if (closed) {
      await fresh.end().catch(() => undefined);
      throw new StorageError(`storage at ${location} is closed`, location);
    }
    client = fresh;
    startHeartbeat(fresh);
    return fresh;
  }

  function connected(): Promise<pg.Client> {
    if (client) return Promise.resolve(client);
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer || connecting) return;
    attempt++;
    const delay = backoffDelay(reconnectBackoff, attempt);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connected().then(
        () => {
          logger.info({ attempts: attempt }, 'notification connection re-established');
          attempt = 0;
          for (const subscribers of channels.values()) {
            for (const subscriber of subscribers) {
              try {
                subscriber.onReconnect?.();
              } catch (err) {
                logger.error({ err }, 'reconnect handler failed');
              }
            }
          }
        },
        (err: unknown) => {
          // A string under `err` would be serialised character by character: it goes under `reason`.
          logger.warn({ reason: describeCause(err), attempt }, 'notification reconnect failed');
          scheduleReconnect();
        },
      );
    }, delay);
  }

  function startHeartbeat(current: pg.Client): void {
    stopHeartbeat();
    heartbeat = createPeriodicTask({
      intervalMs: heartbeatMs,
      run: async () => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('heartbeat timed out')),
            Math.min(heartbeatMs, 10_000),
          );
        });
        await Promise.race([current.query('select 1'), timeout]).finally(() => clearTimeout(timer));
      },
      onError: (err) => onLost(current, err as Error),
    });
    heartbeat.start();
  }

  function stopHeartbeat(): void {
    // Not awaited: onLost calls this from inside a probe, which close() would wait for.
    void heartbeat?.close();
    heartbeat = undefined;
  }

  return {
    async listen(channel, onNotify, listenOptions = {}) {
      assertChannelName(channel);
      if (closed) throw new StorageError(`storage at ${location} is closed`, location);
      const subscriber: Subscriber = { onNotify, onReconnect: listenOptions.onReconnect };
      let subscribers = channels.get(channel);
      if (!subscribers) channels.set(channel, (subscribers = new Set()));
      subscribers.add(subscriber);
      const forget = () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && channels.get(channel) === subscribers)
          channels.delete(channel);
      };
      try {
        const current = await connected();
        // LISTEN is idempotent; issuing it per subscriber means this call only
        // returns once the server is really listening on the channel.
        await current.query(`LISTEN ${channel}`);
      } catch (err) {
        forget();
        if (err instanceof StorageError) throw err;
        throw new StorageError(
          `cannot LISTEN on ${channel} at ${location}: ${describeCause(err)}`,
          location,
          {
            cause: err,
          },
        );
      }

      let done = false;
      return async () => {
        if (done) return;
        done = true;
        forget();
        if (!channels.has(channel) && client && !closed) {
          await client.query(`UNLISTEN ${channel}`).catch(() => undefined);
        }
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      stopHeartbeat();
      await connecting?.catch(() => undefined);
      const current = client;
      client = undefined;
      channels.clear();
      if (current) await current.end().catch(() => undefined);
    },
  };
}
