import { AuthService, PostService, topics } from '@switchboard/contracts';
import {
  createEventBus,
  createInboxConsumer,
  createKafkaProbe,
  createOutboxRelay,
} from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createHealthMonitor,
  createRpcServer,
  createServiceClient,
  createTokenAuthenticator,
} from '@switchboard/rpc';
import { closeOnSignal, runService } from '@switchboard/service-runtime';
import { createStorage } from '@switchboard/storage';
import { postAccessPolicy } from './create-post-service';
import { loadPostConfig } from './load-post-config';
import { migrations } from './migrations';
import { createPostModule } from './post-module';
import type { PostDatabase } from './post-schema';
import { POST_CONSUMER_GROUP } from './subscriptions';

runService(async () => {
  const config = loadPostConfig();
  const logger = createLogger({ service: config.service, level: config.logLevel });
  const storage = await createStorage<PostDatabase>({
    ...config,
    service: config.key,
    migrations,
    logger,
  });
  const source = `/switchboard/${config.service}`;
  const post = createPostModule({ db: storage.db, eventSource: source });
  const bus = createEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.service,
    source,
    logger,
  });
  const relay = createOutboxRelay({ storage, producer: bus.createProducer(), logger });
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: POST_CONSUMER_GROUP,
    subscriptions: post.subscriptions,
    maxAttempts: config.eventMaxAttempts,
  });
  const health = createHealthMonitor({
    probes: { database: () => storage.ping(), kafka: createKafkaProbe(bus) },
    intervalMs: 2_000,
  });
  const authenticate = createTokenAuthenticator(
    createServiceClient(AuthService, createGrpcJsTransport({ address: config.authAddr })),
  );
  const server = createRpcServer({ ...config, logger, health, authenticate });
  server.addService(PostService, post.handlers, { access: postAccessPolicy });
  // The topic this service writes: the relay must not depend on a consumer having created it.
  await bus.ensureTopics([topics.socialPosts]);
  relay.start();
  await consumer.start();
  await server.start();
  logger.info({ port: config.port }, 'serving');
  closeOnSignal({
    logger,
    closables: [
      { name: 'rpc server', close: () => server.shutdown() },
      { name: 'health monitor', close: async () => health.stop() },
      { name: 'event consumer', close: () => consumer.close() },
      { name: 'outbox relay', close: () => relay.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'storage', close: () => storage.close() },
    ],
  });
});
