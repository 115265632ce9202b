// Test support for this service's specs: the real PostService on a real
// socket, its storage on a fresh database on the real PostgreSQL
// server, and, when asked, its inbox consumer and outbox relay on the real
// Kafka broker. Not used by main.ts.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { PostService } from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import {
  createEventBus,
  createInboxConsumer,
  createOutboxRelay,
  type EventBus,
  type InboxConsumer,
  type OutboxRelay,
} from '@switchboard/event-bus';
import { createLogger, type Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  type Authenticate,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';
import { postAccessPolicy } from '../create-post-service';
import { migrations } from '../migrations';
import { createPostDomain, type PostDomain } from '../post-domain';
import type { PostDatabase } from '../post-schema';

export type Backend = 'postgres';

/** For `describe.each`: every storage behaviour is tested on both. */
export const backends: [Backend][] = [['postgres']];

export const EVENT_SOURCE = '/switchboard/post-service';

const USER_TOKEN = /^user:([0-9a-f-]{36})$/;

/**
 * Stands in for the auth service, which has its own tests: a token
 * `user:<uuid>` is that user, anything else is rejected as auth would.
 */
export const testAuthenticate: Authenticate = async (token) => {
  const userId = USER_TOKEN.exec(token)?.[1];
  if (userId === undefined) {
    throw new DomainError('INVALID_TOKEN', 'the access token is invalid or expired');
  }
  return { userId, roles: ['customer'] };
};

/** Call options for a caller; `anonymous` sends no token, `forged` a rejected one. */
export const as = (userId: string) => ({ headers: { authorization: `Bearer user:${userId}` } });
export const anonymous = {};
export const forged = { headers: { authorization: 'Bearer forged' } };

export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

export function silentLogger(): Logger {
  return createLogger({
    service: 'post-test',
    level: process.env.TEST_LOGS ? 'debug' : 'silent',
    destination: process.env.TEST_LOGS
      ? process.stdout
      : new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}

export interface PostTestServer {
  storage: Storage<PostDatabase>;
  post: PostDomain;
  client: ServiceClient<typeof PostService>;
  /** Set when started with `kafka: true`. */
  bus?: EventBus;
  consumer?: InboxConsumer;
  relay?: OutboxRelay;
  /** Makes users known as UserRegistered would, without the broker. */
  registerUsers(...userIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PostTestServerOptions {
  /** Also run the inbox consumer (a group of its own) and the outbox relay on the real broker. */
  kafka?: boolean;
  poolSize?: number;
}

export async function startPostTestServer(
  backend: Backend,
  options: PostTestServerOptions = {},
): Promise<PostTestServer> {
  const logger = silentLogger();
  let database: TestDatabase | undefined;
  if (backend === 'postgres') database = await createTestDatabase('post');

  const storage = await createStorage<PostDatabase>({
    service: 'post',
    serviceDatabaseUrl: database?.url,
    migrations,
    logger,
    poolSize: options.poolSize,
  });
  const post = createPostDomain({ db: storage.db, eventSource: EVENT_SOURCE });

  let bus: EventBus | undefined;
  let consumer: InboxConsumer | undefined;
  let relay: OutboxRelay | undefined;
  if (options.kafka) {
    bus = createEventBus({
      brokers: brokers(),
      clientId: 'post-test',
      source: EVENT_SOURCE,
      logger,
    });
    // A group of its own, so parallel runs and other suites never share offsets.
    consumer = createInboxConsumer({
      storage,
      bus,
      logger,
      groupId: `post-service-test-${randomUUID()}`,
      subscriptions: post.subscriptions,
      maxAttempts: 2,
      lagLogIntervalMs: 0,
    });
    relay = createOutboxRelay({
      storage,
      producer: bus.createProducer(),
      logger,
      pollIntervalMs: 200,
    });
    await consumer.start();
    relay.start();
  }

  const server = createRpcServer({
    logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 2_000,
    authenticate: testAuthenticate,
  });
  server.addService(PostService, post.handlers, { access: postAccessPolicy });
  const port = await server.start();
  const transport = createGrpcJsTransport({
    address: `127.0.0.1:${port}`,
    defaultTimeoutMs: 30_000,
  });

  return {
    storage,
    post,
    client: createServiceClient(PostService, transport),
    bus,
    consumer,
    relay,
    async registerUsers(...userIds) {
      for (const userId of userIds) {
        await post.users.record(storage.db, {
          userId,
          displayName: `User ${userId.slice(0, 8)}`,
          registeredAt: new Date(),
        });
      }
    },
    async close() {
      transport.close();
      await server.shutdown();
      await relay?.close();
      await consumer?.close();
      await bus?.close();
      await storage.close();
      await database?.drop();
    },
  };
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
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Shared with every service's tests.
export { errorInfo, failure } from '@switchboard/testing';
