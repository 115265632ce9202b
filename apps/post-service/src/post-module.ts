import type { PostService } from '@switchboard/contracts';
import { createInboxConsumer, createOutboxRelay, eventSourceOf } from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { postAccessPolicy } from './create-post-service';
import type { PostConfig } from './load-post-config';
import { createPostDomain } from './post-domain';
import type { PostDatabase } from './post-schema';
import { POST_CONSUMER_GROUP } from './subscriptions';

export type PostModuleOptions = ServiceModuleOptions<PostConfig, PostDatabase>;

export type PostModule = ServiceModule<typeof PostService>;

/** The running post service: its domain, the outbox relay and the UserRegistered consumer. */
export function createPostModule(options: PostModuleOptions): PostModule {
  const { config, storage, bus, logger } = options;
  const post = createPostDomain({ db: storage.db, eventSource: eventSourceOf(config.service) });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: POST_CONSUMER_GROUP,
    subscriptions: post.subscriptions,
    maxAttempts: config.eventMaxAttempts,
  });
  return {
    handlers: post.handlers,
    access: postAccessPolicy,
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
