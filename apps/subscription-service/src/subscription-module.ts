import { subscriptionAccessPolicy, type SubscriptionService } from '@switchboard/contracts';
import {
  createEventRegistry,
  createInboxConsumer,
  type InboxConsumer,
  type Subscription,
} from '@switchboard/event-bus';
import type { ServiceModule, ServiceModuleOptions } from '@switchboard/service-runtime';
import { createPeriodicTask, systemClock, type Clock } from '@switchboard/timing';
import { workQueueKind, type WorkQueue } from '@switchboard/work-queue';
import { createDeliveryHandler } from './delivery/create-delivery-handler';
import { createDeliveryWorkers, type DeliveryWorkers } from './delivery/create-delivery-workers';
import type { DeliveryStore } from './delivery-store';
import { createDeliveryDispatcher } from './dispatch/create-delivery-dispatcher';
import type { DeliveryDispatcher } from './dispatch/delivery-dispatcher';
import { createPostgresDeliveryOutbox } from './dispatch/postgres/create-postgres-delivery-outbox';
import type { SubscriptionConfig } from './load-subscription-config';
import { openWorkQueue } from './open-work-queue';
import { pruneDeliveries } from './prune-deliveries';
import { createQueueOpener } from './queue/create-queue-opener';
import type { QueueUser } from './queue/queue-opener';
import { createPostgresDeliveryStore } from './postgres/create-postgres-delivery-store';
import { createSecretSealer } from './secrets/aes-gcm/create-secret-sealer';
import type { ResolveHost } from './sinks/check-sink-url';
import type { SubscriptionDatabase } from './subscription-schema';
import { createSubscriptionServiceHandlers } from './subscription-service-handlers';
import {
  DELIVERIES_CHANNEL,
  SUBSCRIPTION_GROUP_ID,
  createSubscriptionSubscriptions,
} from './subscriptions';

export interface SubscriptionModuleOptions extends ServiceModuleOptions<
  SubscriptionConfig,
  SubscriptionDatabase
> {
  overrides?: SubscriptionModuleOverrides;
}

/** What a test on a shared broker sets. */
export interface SubscriptionModuleOverrides {
  /** A consumer group of the test's own. */
  consumerGroupId?: string;
  /** Wraps the real subscriptions, e.g. to handle only the events the test published. */
  wrapSubscriptions?(
    subscriptions: readonly Subscription<SubscriptionDatabase>[],
  ): Subscription<SubscriptionDatabase>[];
  /** The dispatcher's clock, stepped by a test instead of waiting out a poll. */
  clock?: Clock;
  /** Names a test's sink hosts resolve to, where DNS cannot be arranged. */
  resolve?: ResolveHost;
  /**
   * false: no queue, dispatcher or workers, so a spec about matching reads
   * the deliveries exactly as the matcher wrote them (default true).
   */
  deliver?: boolean;
}

export interface SubscriptionModule extends ServiceModule<typeof SubscriptionService> {
  readonly consumer: InboxConsumer;
  /** Undefined until the queue's broker answered (start() does not wait for it). */
  readonly dispatcher: DeliveryDispatcher | undefined;
  readonly queue: WorkQueue | undefined;
  readonly workers: DeliveryWorkers | undefined;
  /** For the delivery workers. */
  readonly deliveryStore: DeliveryStore;
}

/**
 * The running subscription service: its API, the matcher on every topic, and,
 * once the work queue's broker answers, the dispatcher and the workers.
 */
export function createSubscriptionModule(options: SubscriptionModuleOptions): SubscriptionModule {
  const { config, storage, bus, logger } = options;
  const { overrides = {} } = options;
  const registry = createEventRegistry();
  const sealer = createSecretSealer(config.secretKey);
  const subscriptions = createSubscriptionSubscriptions();
  const consumer = createInboxConsumer({
    storage,
    bus,
    logger,
    groupId: overrides.consumerGroupId ?? SUBSCRIPTION_GROUP_ID,
    subscriptions: overrides.wrapSubscriptions?.(subscriptions) ?? subscriptions,
    maxAttempts: config.inboxMaxAttempts,
  });
  const deliveryStore = createPostgresDeliveryStore(storage.db, sealer);
  // A malformed QUEUE_URL never becomes reachable: that fails the start at once.
  workQueueKind(config.queueUrl);
  const clock = overrides.clock ?? systemClock;
  let running: { dispatcher: DeliveryDispatcher; workers: DeliveryWorkers } | undefined;
  const opener =
    overrides.deliver === false
      ? undefined
      : createQueueOpener({
          open: (signal) =>
            openWorkQueue(config.queueUrl, {
              logger,
              deliveryAttempts: config.delivery.maxAttempts,
              visibilityTimeoutSeconds: config.delivery.visibilityTimeoutSeconds,
              signal,
            }),
          use: (queue) => startDelivering(queue),
          logger,
          clock,
        });
  const retentionMs = config.deliveryRetentionHours * 3_600_000;
  const pruner = createPeriodicTask({
    intervalMs: 10 * 60_000,
    clock,
    async run() {
      // In batches, so one round never holds a long delete.
      while (!pruner.stopped) {
        const gone = await pruneDeliveries(storage.db, new Date(clock.now() - retentionMs), 1_000);
        if (gone > 0) logger.debug({ gone }, 'old deliveries pruned');
        if (gone < 1_000) return;
      }
    },
    onError: (err) => logger.warn({ err }, 'pruning old deliveries failed; will retry'),
  });

  return {
    handlers: createSubscriptionServiceHandlers({
      db: storage.db,
      sealer,
      isKnownType: (type) => registry.byType(type) !== undefined,
      allowLoopbackSinks: config.allowLoopbackSinks,
      origin: config.origin,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      resolve: overrides.resolve,
    }),
    access: subscriptionAccessPolicy,
    consumer,
    get dispatcher() {
      return running?.dispatcher;
    },
    get queue() {
      return opener?.queue;
    },
    get workers() {
      return running?.workers;
    },
    deliveryStore,
    probes: opener && { queue: () => opener.probe() },
    async start() {
      if (config.allowLoopbackSinks) {
        logger.warn('SUBSCRIPTION_ALLOW_LOOPBACK_SINKS is on: sinks may be on this machine');
      }
      // The API and the matcher need only PostgreSQL and Kafka; the queue's
      // broker may come later (health says NOT_SERVING until it does).
      opener?.start();
      await consumer.start();
      pruner.start();
    },
    async close() {
      // The workers first (inside the opener): deliveries in flight finish
      // and record their outcome while the store and the queue are still there.
      await opener?.close();
      await pruner.close();
      await consumer.close();
    },
  };

  /** The dispatcher and the workers on the open queue; stops what it started if a step fails. */
  async function startDelivering(queue: WorkQueue): Promise<QueueUser> {
    const dispatcher = createDeliveryDispatcher({
      outbox: createPostgresDeliveryOutbox(storage.db),
      queue,
      logger,
      clock: overrides.clock,
      pollMs: config.dispatchPollMs,
    });
    // Woken by each commit that adds deliveries; the poll covers a lost connection.
    const unlisten = await storage
      .listen(DELIVERIES_CHANNEL, () => dispatcher.poke(), {
        onReconnect: () => dispatcher.poke(),
      })
      .catch((err: unknown) => {
        logger.warn({ err }, 'cannot LISTEN for new deliveries; relying on polling');
        return undefined;
      });
    // Deliveries matched while the queue was away go out at once: the first round runs now.
    dispatcher.start();
    const workers = createDeliveryWorkers({
      queue,
      concurrency: config.delivery.workers,
      logger,
      handler: createDeliveryHandler({
        store: deliveryStore,
        clock,
        allowLoopbackSinks: config.allowLoopbackSinks,
        resolve: overrides.resolve,
        timeoutMs: config.delivery.timeoutMs,
        maxAttempts: config.delivery.maxAttempts,
        backoff: config.delivery.backoff,
        retryAfterMaxMs: config.delivery.retryAfterMaxMs,
        logger,
      }),
    });
    const stopDispatching = async () => {
      await dispatcher.close();
      await unlisten?.().catch(() => undefined);
    };
    try {
      await workers.start();
    } catch (err) {
      await workers.close().catch(() => undefined);
      await stopDispatching();
      throw err;
    }
    running = { dispatcher, workers };
    return {
      async close() {
        running = undefined;
        await workers.close();
        await stopDispatching();
      },
    };
  }
}
