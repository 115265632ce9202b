import type { PostService } from '@switchboard/contracts';
import {
  createInboxConsumer,
  createOutboxRelay,
  eventSourceOf,
  type InboxConsumer,
  type OutboxRelay,
} from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { postAccessPolicy } from './create-post-service';
import type { PostConfig } from './load-post-config';
import { createPostDomain, type PostDomain } from './post-domain';
import type { PostDatabase } from './post-schema';
import { POST_CONSUMER_GROUP } from './subscriptions';

export interface PostModuleOptions extends ServiceModuleOptions<PostConfig, PostDatabase> {
  overrides?: PostModuleOverrides;
}

/** What a test on a shared broker sets. */
export interface PostModuleOverrides {
  /** A consumer group of the test's own, so parallel runs never share offsets. */
  consumerGroupId?: string;
}

export interface PostModule extends ServiceModule<typeof PostService> {
  /** The parts, for tests that look behind the RPCs. */
  readonly domain: PostDomain;
  readonly consumer: InboxConsumer;
  readonly relay: OutboxRelay;
}

/** The running post service: its domain, the outbox relay and the UserRegistered consumer. */
export function createPostModule(options: PostModuleOptions): PostModule {
  const { config, storage, bus, logger } = options;
  const post = createPostDomain({ db: storage.db, eventSource: eventSourceOf(config.service) });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: options.overrides?.consumerGroupId ?? POST_CONSUMER_GROUP,
    subscriptions: post.subscriptions,
    maxAttempts: config.eventMaxAttempts,
  });
  return {
    handlers: post.handlers,
    access: postAccessPolicy,
    domain: post,
    consumer,
    relay,
    async start() {
      // No topic creation here: the service's Kafka health probe creates every
      // registry topic, retrying until the broker answers, and until then the
      // relay keeps its rows. Awaiting it here made a start with Kafka down,
      // or racing other services creating the same topics, fail outright.
      relay.start();
      await consumer.start();
    },
    async close() {
      await consumer.close();
      await relay.close();
    },
  };
}
