// Test support for this service's specs: replicas of the real service,
// started from its definition as main.ts starts it (inbox consumer on the real
// broker, NotificationService on a real socket), over a database on the real
// PostgreSQL server; a publisher of the events the post service would send,
// and a live Watch reader. Not used by main.ts.
import { randomUUID } from 'node:crypto';
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
import {
  createEventBus,
  type EventProducer,
  type InboxConsumer,
  type PublishedEvent,
} from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { errorDetailsOf, type ServiceClient } from '@switchboard/rpc';
import { createStorage, sql, type Storage } from '@switchboard/storage';
import {
  asUser,
  authenticateUserTokens,
  createTestDatabase,
  createTestLogger,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import { fanOutPost } from '../fan-out-post';
import { migrations } from '../migrations';
import type { NotificationDomain } from '../notification-domain';
import type { NotificationDatabase } from '../notification-schema';
import { notificationServiceDefinition } from '../notification-service-definition';

// The auth service is not started: these specs are about fan-out and the live feed, for many
// made-up users, so a `user:<uuid>` token stands for its user (authenticateUserTokens).

export const as = asUser;
export const anonymous = {};

export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

export type LogLine = Record<string, unknown> & { msg?: string; time?: string };

/** Where replicas keep their state: one database on the real server. */
export interface TestStore {
  readonly url: string;
  dispose(): Promise<void>;
}

export async function createTestStore(): Promise<TestStore> {
  const database = await createTestDatabase('notification');
  return { url: database.url, dispose: () => database.drop() };
}

/**
 * The store's database, migrated as the service migrates it, for specs of
 * SQL that need no running service: no consumer writes to it behind them.
 */
export function openStorage(store: TestStore): Promise<Storage<NotificationDatabase>> {
  return createStorage<NotificationDatabase>({
    service: 'notification',
    serviceDatabaseUrl: store.url,
    migrations,
    logger: createTestLogger('notification-test'),
  });
}

export interface ReplicaOptions {
  /** Replicas given the same group share the partitions, as in production. */
  groupId?: string;
  fanOutBatchSize?: number;
  name?: string;
}

export interface NotificationReplica {
  readonly name: string;
  storage: Storage<NotificationDatabase>;
  notifications: NotificationDomain;
  consumer: InboxConsumer;
  client: ServiceClient<typeof NotificationService>;
  /** What it logged so far, parsed. */
  readonly logs: LogLine[];
  /** Post ids this replica fanned out, from its own log. */
  fannedOut(): string[];
  close(): Promise<void>;
}

/**
 * One replica on a store of its own for the enclosing describe block, started
 * before its tests and closed after them; `use` hands it to the block.
 */
export function shareReplica(use: (replica: NotificationReplica) => void): void {
  let store: TestStore | undefined;
  let replica: NotificationReplica | undefined;
  beforeAll(async () => {
    store = await createTestStore();
    replica = await startReplica(store);
    use(replica);
  });
  afterAll(async () => {
    await replica?.close();
    await store?.dispose();
  });
}

/** One replica, as main.ts starts the service, but for the token check (above) and its group. */
export async function startReplica(
  store: TestStore,
  options: ReplicaOptions = {},
): Promise<NotificationReplica> {
  const t = await startServiceUnderTest(notificationServiceDefinition, {
    databaseUrl: store.url,
    env: {
      NOTIFICATION_FANOUT_BATCH_SIZE: String(options.fanOutBatchSize ?? 500),
      NOTIFICATION_EVENT_MAX_ATTEMPTS: '2',
    },
    authenticate: authenticateUserTokens,
    overrides: {
      consumerGroupId: options.groupId ?? `notification-service-test-${randomUUID()}`,
    },
  });
  const { storage, module } = t.running;
  const logs = () => t.logs() as LogLine[];
  return {
    name: options.name ?? 'replica',
    storage,
    notifications: module.domain,
    consumer: module.consumer,
    client: t.client,
    get logs() {
      return logs();
    },
    fannedOut: () =>
      logs()
        .filter((l) => l.msg === 'post fanned out')
        .map((l) => String(l.postId)),
    close: () => t.stop(),
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

// Shared with every service's tests.
export { eventually };
export { failure } from '@switchboard/testing';
