// Test support for this service's specs: replicas of the real service (inbox
// consumer on the real broker, NotificationService on a real socket) over
// a database on the real PostgreSQL server, a publisher of the
// events the post service would send, and a live Watch reader. Not used by
// main.ts.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ConnectError } from '@connectrpc/connect';
import {
  NotificationService,
  PostCreatedSchema,
  UserFollowedSchema,
  UserUnfollowedSchema,
  type Notification,
} from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import {
  createEventBus,
  createInboxConsumer,
  type EventBus,
  type EventProducer,
  type InboxConsumer,
  type PublishedEvent,
} from '@switchboard/event-bus';
import { createLogger, type Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  errorDetailsOf,
  type Authenticate,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, sql, type Storage } from '@switchboard/storage';
import { createTestDatabase } from '@switchboard/testing';
import { notificationAccessPolicy } from '../create-notification-service';
import { fanOutPost } from '../fan-out-post';
import { migrations } from '../migrations';
import { createNotificationDomain, type NotificationDomain } from '../notification-domain';
import type { NotificationDatabase } from '../notification-schema';

export type Backend = 'postgres';
export const backends: [Backend][] = [['postgres']];

const USER_TOKEN = /^user:([0-9a-f-]{36})$/;

/** Stands in for the auth service: a token `user:<uuid>` is that user, anything else is rejected. */
export const testAuthenticate: Authenticate = async (token) => {
  const userId = USER_TOKEN.exec(token)?.[1];
  if (userId === undefined) {
    throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
  }
  return { userId, roles: ['customer'] };
};

export const as = (userId: string) => ({ headers: { authorization: `Bearer user:${userId}` } });
export const anonymous = {};

export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

export type LogLine = Record<string, unknown> & { msg?: string; time?: string };

function capturingLogger(name: string): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    service: name,
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        try {
          lines.push(JSON.parse(String(chunk)) as LogLine);
        } catch {
          // not a log line of ours
        }
        if (process.env.TEST_LOGS) process.stdout.write(chunk);
        done();
      },
    }),
  });
  return { logger, lines };
}

/** Where replicas keep their state: one database on the real server. */
export interface TestStore {
  readonly backend: Backend;
  readonly url: string;
  dispose(): Promise<void>;
}

export async function createTestStore(backend: Backend): Promise<TestStore> {
  const database = await createTestDatabase('notification');
  return { backend, url: database.url, dispose: () => database.drop() };
}

export interface ReplicaOptions {
  /** Replicas given the same group share the partitions, as in production. */
  groupId?: string;
  /** Run the inbox consumer (default true). */
  consume?: boolean;
  fanOutBatchSize?: number;
  name?: string;
}

export interface NotificationReplica {
  readonly name: string;
  storage: Storage<NotificationDatabase>;
  notifications: NotificationDomain;
  consumer?: InboxConsumer;
  client: ServiceClient<typeof NotificationService>;
  logs: LogLine[];
  /** Post ids this replica fanned out, from its own log. */
  fannedOut(): string[];
  close(): Promise<void>;
}

/** One replica, assembled as main.ts assembles the service. */
export async function startReplica(
  store: TestStore,
  options: ReplicaOptions = {},
): Promise<NotificationReplica> {
  const name = options.name ?? 'replica';
  const { logger, lines } = capturingLogger(name);
  const storage = await createStorage<NotificationDatabase>({
    service: 'notification',
    serviceDatabaseUrl: store.url,
    migrations,
    logger,
  });
  const notifications = createNotificationDomain({
    storage,
    logger,
    fanOutBatchSize: options.fanOutBatchSize ?? 500,
  });
  await notifications.feed.start();

  let bus: EventBus | undefined;
  let consumer: InboxConsumer | undefined;
  if (options.consume ?? true) {
    bus = createEventBus({ brokers: brokers(), clientId: name, source: '/test', logger });
    consumer = createInboxConsumer({
      storage,
      bus,
      logger,
      groupId: options.groupId ?? `notification-service-test-${randomUUID()}`,
      subscriptions: notifications.subscriptions,
      maxAttempts: 2,
      lagLogIntervalMs: 0,
    });
    await consumer.start();
  }

  const server = createRpcServer({
    logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 2_000,
    authenticate: testAuthenticate,
  });
  server.addService(NotificationService, notifications.handlers, {
    access: notificationAccessPolicy,
  });
  const port = await server.start();
  const transport = createGrpcJsTransport({
    address: `127.0.0.1:${port}`,
    defaultTimeoutMs: 30_000,
  });
  return {
    name,
    storage,
    notifications,
    consumer,
    client: createServiceClient(NotificationService, transport),
    logs: lines,
    fannedOut: () => lines.filter((l) => l.msg === 'post fanned out').map((l) => String(l.postId)),
    async close() {
      await notifications.feed.close();
      transport.close();
      await server.shutdown();
      await consumer?.close();
      await bus?.close();
      await storage.close();
    },
  };
}

/** Publishes what the post service would, straight to the broker. */
export interface TestPublisher {
  follow(followerId: string, followeeId: string): Promise<PublishedEvent>;
  unfollow(followerId: string, followeeId: string): Promise<PublishedEvent>;
  post(
    authorId: string,
    text: string,
    options?: { eventId?: string; postId?: string },
  ): Promise<PublishedEvent & { postId: string }>;
  close(): Promise<void>;
}

export function createTestPublisher(): TestPublisher {
  const bus = createEventBus({
    brokers: brokers(),
    clientId: 'notification-test-publisher',
    source: '/switchboard/post-service',
    logger: createLogger({ service: 'publisher', level: 'silent' }),
  });
  const producer: EventProducer = bus.createProducer();
  return {
    follow: (followerId, followeeId) =>
      producer.publish(
        create(UserFollowedSchema, {
          followerId,
          followeeId,
          followedAt: timestampFromDate(new Date()),
        }),
      ),
    unfollow: (followerId, followeeId) =>
      producer.publish(
        create(UserUnfollowedSchema, {
          followerId,
          followeeId,
          unfollowedAt: timestampFromDate(new Date()),
        }),
      ),
    async post(authorId, text, options = {}) {
      const postId = options.postId ?? randomUUID();
      const published = await producer.publish(
        create(PostCreatedSchema, {
          postId,
          authorId,
          text,
          createdAt: timestampFromDate(new Date()),
        }),
        options.eventId === undefined ? {} : { id: options.eventId },
      );
      return { ...published, postId };
    },
    close: () => bus.close(),
  };
}

/** Waits until the inbox has recorded the event: its effect (if any) is committed. */
export async function handled(replica: NotificationReplica, eventId: string, timeoutMs = 60_000) {
  await eventually(
    () =>
      replica.storage.db
        .selectFrom('inbox')
        .select('event_id')
        .where('event_id', '=', eventId)
        .executeTakeFirst(),
    timeoutMs,
    `event ${eventId} to be handled`,
  );
}

/** Writes followers straight into the table, as many UserFollowed events would. */
export async function seedFollowers(
  storage: Storage<NotificationDatabase>,
  followeeId: string,
  followerIds: readonly string[],
): Promise<void> {
  for (let i = 0; i < followerIds.length; i += 1_000) {
    await storage.db
      .insertInto('followers')
      .values(
        followerIds.slice(i, i + 1_000).map((followerId) => ({
          followee_id: followeeId,
          follower_id: followerId,
          followed_at: new Date(),
        })),
      )
      .execute();
  }
}

/**
 * Makes notifications without the broker: a fan-out in a transaction, as the
 * PostCreated handler runs it. Resolves right after the commit, with its time.
 */
export async function commitPost(
  storage: Storage<NotificationDatabase>,
  authorId: string,
  text: string,
): Promise<{ postId: string; eventId: string; committedAt: number }> {
  const postId = randomUUID();
  const eventId = randomUUID();
  await storage.db.transaction().execute(async (trx) => {
    await fanOutPost(trx, { eventId, postId, authorId, text }, 500);
  });
  return { postId, eventId, committedAt: performance.now() };
}

export async function countNotifications(
  storage: Storage<NotificationDatabase>,
  where: { postId?: string; recipientId?: string },
): Promise<number> {
  let query = storage.db.selectFrom('notifications').select(sql<string>`count(*)`.as('n'));
  if (where.postId !== undefined) query = query.where('post_id', '=', where.postId);
  if (where.recipientId !== undefined) query = query.where('recipient_id', '=', where.recipientId);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface Received {
  notification: Notification;
  /** performance.now() when it arrived. */
  at: number;
}

/** A WatchNotifications call read in the background, as a client app would. */
export interface WatchReader {
  readonly received: Received[];
  /** The error the stream ended with, if it did. */
  readonly error: () => unknown;
  readonly ended: () => boolean;
  /** Resolves once `count` notifications in total have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  /** Cancels the call, as a client going away. */
  cancel(): Promise<void>;
}

export async function watch(
  replica: NotificationReplica,
  userId: string,
  options: { ready?: boolean } = {},
): Promise<WatchReader> {
  const before = replica.notifications.feed.watchers(userId);
  const controller = new AbortController();
  const received: Received[] = [];
  let error: unknown;
  let ended = false;
  const stream = replica.client.watchNotifications(
    {},
    { ...as(userId), signal: controller.signal, timeoutMs: 10 * 60_000 },
  );
  const done = (async () => {
    try {
      for await (const res of stream) {
        if (res.notification)
          received.push({ notification: res.notification, at: performance.now() });
      }
    } catch (err) {
      error = err;
    } finally {
      ended = true;
    }
  })();
  // The server registers the watcher when the call reaches it; wait for that,
  // or a notification committed in between would be missed by design.
  if (options.ready ?? true) {
    await eventually(
      async () =>
        replica.notifications.feed.watchers(userId) > before || ended ? true : undefined,
      10_000,
      'the watch to be registered',
    );
  }
  return {
    received,
    error: () => error,
    ended: () => ended,
    async waitFor(count, timeoutMs = 30_000) {
      await eventually(
        async () => (received.length >= count ? true : undefined),
        timeoutMs,
        `${count} watched notifications (got ${received.length})`,
      );
      return received;
    },
    async cancel() {
      const open = ended ? 0 : replica.notifications.feed.watchers(userId);
      controller.abort();
      await done;
      // The server hears of the cancellation a moment later; wait for it, so
      // the next watch's readiness check counts from a settled number.
      if (open > 0) {
        await eventually(
          async () => (replica.notifications.feed.watchers(userId) < open ? true : undefined),
          10_000,
          'the server to end the cancelled watch',
        );
      }
    },
  };
}

export function errorCode(err: ConnectError): string | null {
  return errorDetailsOf(err).reason ?? null;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// Shared with every service's tests.
export { failure } from '@switchboard/testing';
