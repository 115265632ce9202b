// Test support for this service's specs: the real post service, started from
// its definition as main.ts starts it, on a fresh database on the real
// PostgreSQL server, with its inbox consumer and outbox relay on the real
// Kafka broker. Not used by main.ts.
import { randomUUID } from 'node:crypto';
import { PostService } from '@switchboard/contracts';
import type { DecodedEvent, EventBus, InboxConsumer, OutboxRelay } from '@switchboard/event-bus';
import type { ServiceClient } from '@switchboard/rpc';
import type { Storage } from '@switchboard/storage';
import {
  asUser,
  authenticateUserTokens,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import type { PostDomain } from '../post-domain';
import type { PostDatabase } from '../post-schema';
import { postServiceDefinition } from '../post-service-definition';

export const EVENT_SOURCE = '/switchboard/post-service';

// The auth service is not started: these specs are about posts and follows, for many
// made-up users, so a `user:<uuid>` token stands for its user (authenticateUserTokens).

/** Call options for a caller; `anonymous` sends no token, `forged` a rejected one. */
export const as = asUser;
export const anonymous = {};
export const forged = { headers: { authorization: 'Bearer forged' } };

export interface PostTestServer {
  storage: Storage<PostDatabase>;
  post: PostDomain;
  client: ServiceClient<typeof PostService>;
  /** The service's own bus, inbox consumer (a group of its own) and outbox relay. */
  bus: EventBus;
  consumer: InboxConsumer;
  relay: OutboxRelay;
  /** Makes users known as UserRegistered would, without the broker. */
  registerUsers(...userIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface PostTestServerOptions {
  poolSize?: number;
}

/** The service as main.ts starts it, but for the token check (above) and its consumer group. */
export async function startPostTestServer(
  options: PostTestServerOptions = {},
): Promise<PostTestServer> {
  const t = await startServiceUnderTest(postServiceDefinition, {
    env: { POST_EVENT_MAX_ATTEMPTS: '2' },
    poolSize: options.poolSize,
    authenticate: authenticateUserTokens,
    // A group of its own, so parallel runs and other suites never share offsets.
    overrides: { consumerGroupId: `post-service-test-${randomUUID()}` },
  });
  const { storage, bus, module } = t.running;
  return {
    storage,
    post: module.domain,
    client: t.client,
    bus,
    consumer: module.consumer,
    relay: module.relay,
    async registerUsers(...userIds) {
      for (const userId of userIds) {
        await module.domain.users.record(storage.db, {
          userId,
          displayName: `User ${userId.slice(0, 8)}`,
          registeredAt: new Date(),
        });
      }
    },
    close: () => t.stop(),
  };
}

export interface TailOptions {
  topic: string;
  /** Which events to gather: the ones the test caused. */
  keep(event: DecodedEvent): boolean;
  /** When enough has arrived, given what was gathered so far. */
  enough(gathered: ReadonlyMap<string, DecodedEvent>): boolean;
  /** What the test waits for, for the failure message. */
  what: string;
  /** Run once the tail is reading, for events published only after it started. */
  act?(): Promise<unknown>;
}

/**
 * Reads `topic` with a group of its own until `enough` holds, and returns
 * what `keep` picked, by event id (the first delivery of each).
 */
export async function tailEvents(
  bus: EventBus,
  options: TailOptions,
): Promise<Map<string, DecodedEvent>> {
  const gathered = new Map<string, DecodedEvent>();
  const tail = bus.createConsumer({
    kind: 'event',
    groupId: `post-test-tail-${randomUUID()}`,
    topics: [options.topic],
    ephemeral: true,
    onEvent: (event) => {
      if (options.keep(event) && !gathered.has(event.id)) gathered.set(event.id, event);
    },
  });
  await tail.start();
  try {
    await options.act?.();
    await eventually(
      async () => (options.enough(gathered) ? true : undefined),
      60_000,
      options.what,
    );
  } finally {
    await tail.stop();
  }
  return gathered;
}

// Shared with every service's tests.
export { errorInfo, eventually, failure } from '@switchboard/testing';
