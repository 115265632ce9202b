// Test support: the subscription service in this process, delivering through
// a real work queue to real sinks on loopback, for specs that follow one event
// from Kafka to a sink. Not shipped.
import { randomUUID } from 'node:crypto';
import { create, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DeliveryStatus,
  EventFilterSchema,
  OrderPlacedSchema,
  allTopics,
  type Delivery,
  type OrderPlaced,
} from '@switchboard/contracts';
import { createEventBus, type EventBus, type Subscription } from '@switchboard/event-bus';
import {
  bearer,
  createTestAuthenticator,
  createTestLogger,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import type { SubscriptionDatabase } from '../subscription-schema';
import { subscriptionServiceDefinition } from '../subscription-service-definition';
import { testQueueUrl, type TestQueueBackend } from './test-queue-url';
import { onlyPublished } from './only-published';
import { startTestSink, type TestSink, type TestSinkOptions } from './test-sink';

export const ORDER_PLACED = 'switchboard.order.v1.OrderPlaced';
const admin = bearer('admin-token');
const authenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin'] },
});

/** An OrderPlaced of one line, totalling `amountMinor` euro cents. */
export function orderPlaced(amountMinor: bigint, customerId = randomUUID()): OrderPlaced {
  return create(OrderPlacedSchema, {
    orderId: randomUUID(),
    customerId,
    lines: [{ sku: 'COF-ETH-250', quantity: 1, unitPrice: { currencyCode: 'EUR', amountMinor } }],
    total: { currencyCode: 'EUR', amountMinor },
    placedAt: timestampFromDate(new Date('2031-03-01T10:00:00Z')),
  });
}

const startService = (
  env: Record<string, string>,
  wrap: Wrap,
  databaseUrl: string | undefined,
  deliver: boolean,
) =>
  startServiceUnderTest(subscriptionServiceDefinition, {
    env,
    authenticate,
    databaseUrl,
    overrides: {
      consumerGroupId: `subscription-delivery-spec-${randomUUID()}`,
      wrapSubscriptions: wrap,
      deliver,
    },
  });
type EventFilterInit = MessageInitShape<typeof EventFilterSchema>;
type Wrap = (
  subscriptions: readonly Subscription<SubscriptionDatabase>[],
) => Subscription<SubscriptionDatabase>[];

export type DeliveryServiceUnderTest = Awaited<ReturnType<typeof startService>>;

export interface DeliveryServiceFixtureOptions {
  backend: TestQueueBackend;
  /** Over the defaults: loopback sinks allowed, a queue of the spec's own on the run's broker. */
  env?: Record<string, string>;
  /** A queue on a broker the spec started (read when beforeAll runs); one on the run's broker by default. */
  queueUrl?: () => string;
  /** A database the spec made (read when beforeAll runs); a fresh one of its own by default. */
  databaseUrl?: () => string;
  /**
   * 'api-only': no queue, no workers, and no Kafka (its broker address is
   * unreachable, so the matcher never joins): the API on a database whose
   * deliveries service processes make. Were it to consume, its inbox would
   * mark their events as handled before they saw them.
   */
  role?: 'api-only';
}

export interface DeliveryServiceFixture {
  /** Set once beforeAll has run. */
  readonly service: DeliveryServiceUnderTest;
  /** Publishes `event` on the run's Kafka broker for this fixture's service; resolves with its id. */
  publish(event: Message): Promise<string>;
  /** A sink (closed after the spec) with a subscription pointing at it; OrderPlaced by default. */
  subscribeSink(
    options?: TestSinkOptions,
    filter?: EventFilterInit,
  ): Promise<{ sink: TestSink; subscriptionId: string }>;
  /** The subscription's deliveries (every page) as ListDeliveries shows them. */
  deliveries(subscriptionId: string, status?: DeliveryStatus): Promise<Delivery[]>;
  /** Waits until the subscription has exactly one delivery in `status`, and returns it. */
  onlyDelivery(subscriptionId: string, status: DeliveryStatus): Promise<Delivery>;
}

/**
 * Registers beforeAll/afterAll hooks that start the service (in this process,
 * from its real definition) with a consumer group of its own that handles only
 * the events this fixture published: the run's Kafka broker is shared.
 */
export function useDeliveryService(options: DeliveryServiceFixtureOptions): DeliveryServiceFixture {
  let bus: EventBus | undefined;
  let producer: ReturnType<EventBus['createProducer']> | undefined;
  let service: DeliveryServiceUnderTest | undefined;
  const published = new Set<string>();
  const sinks: TestSink[] = [];

  // The AWS SDK reads the standard variables from the process, as in
  // production; ElasticMQ accepts any credentials.
  const savedAws = { ...process.env };
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'elasticmq';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'elasticmq';
    process.env.AWS_REGION ??= 'elasticmq';
    bus = createEventBus({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      clientId: 'subscription-delivery-spec',
      source: '/switchboard/subscription-spec',
      logger: createTestLogger('subscription-delivery-spec-bus'),
    });
    await bus.ensureTopics(allTopics);
    producer = bus.createProducer();
    service = await startService(
      {
        SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
        QUEUE_URL: options.queueUrl?.() ?? testQueueUrl(options.backend),
        ...(options.role === 'api-only' ? { KAFKA_BROKERS: '127.0.0.1:1' } : {}),
        ...options.env,
      },
      onlyPublished(published),
      options.databaseUrl?.(),
      options.role !== 'api-only',
    );
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await Promise.all(sinks.map((s) => s.close()));
    await bus?.close();
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (savedAws[key] === undefined) delete process.env[key];
    }
  }, 60_000);

  const running = () => {
    if (!service) throw new Error('the service starts in beforeAll');
    return service;
  };

  const fixture: DeliveryServiceFixture = {
    get service() {
      return running();
    },
    async publish(event) {
      const id = randomUUID();
      published.add(id);
      await producer!.publish(event, {
        id,
        source: bus!.registry.byType(event.$typeName)!.event.source,
      });
      return id;
    },
    async subscribeSink(sinkOptions, filter = { types: [ORDER_PLACED] }) {
      const sink = await startTestSink(sinkOptions);
      sinks.push(sink);
      const created = await running().client.createSubscription(
        { sinkUrl: sink.url, filter },
        admin,
      );
      return { sink, subscriptionId: created.subscription!.subscriptionId };
    },
    async deliveries(subscriptionId, status) {
      const all: Delivery[] = [];
      let pageToken = '';
      do {
        const page = await running().client.listDeliveries(
          { subscriptionId, status, pageSize: 100, pageToken },
          admin,
        );
        all.push(...page.deliveries);
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return all;
    },
    async onlyDelivery(subscriptionId, status) {
      return eventually(
        async () => {
          const found = await fixture.deliveries(subscriptionId, status);
          return found.length === 1 && found[0];
        },
        60_000,
        `no delivery reached ${DeliveryStatus[status]}`,
      );
    },
  };
  return fixture;
}
