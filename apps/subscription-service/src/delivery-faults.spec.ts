import { randomUUID } from 'node:crypto';
import { create, type DescMessage, type Message } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DeliveryStatus,
  OrderPlacedSchema,
  allTopics,
  type OrderPlaced,
} from '@switchboard/contracts';
import {
  createEventBus,
  type BatchHandlerContext,
  type BatchItem,
  type EventBus,
  type HandlerContext,
  type Subscription,
} from '@switchboard/event-bus';
import {
  bearer,
  createTestAuthenticator,
  createTestLogger,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import type { SubscriptionDatabase } from './subscription-schema';
import { subscriptionServiceDefinition } from './subscription-service-definition';
import { testQueueUrl, type TestQueueBackend } from './testing/test-queue-url';
import { startTestSink, type SinkReply, type TestSink } from './delivery/testing/start-test-sink';

// What a failing sink does to deliveries, through the real work queue: the
// retries are the queue's delayed redeliveries (a RabbitMQ delay queue, an SQS
// visibility timeout), not a loop in the worker. Back-off is shortened by
// configuration so a retry takes milliseconds (SQS rounds up to a second).

const PLACED = 'switchboard.order.v1.OrderPlaced';
const admin = bearer('admin-token');
const authenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin'] },
});

function orderPlaced(amountMinor: bigint): OrderPlaced {
  return create(OrderPlacedSchema, {
    orderId: randomUUID(),
    customerId: randomUUID(),
    lines: [{ sku: 'COF-ETH-250', quantity: 1, unitPrice: { currencyCode: 'EUR', amountMinor } }],
    total: { currencyCode: 'EUR', amountMinor },
    placedAt: timestampFromDate(new Date('2031-03-01T10:00:00Z')),
  });
}

describe.each<TestQueueBackend>(['rabbitmq', 'sqs'])('delivery faults on %s', (backend) => {
  let bus: EventBus;
  let producer: ReturnType<EventBus['createProducer']>;
  let service: Awaited<ReturnType<typeof start>>;
  const published = new Set<string>();

  // The run's broker is shared: this service handles only the events this spec published.
  const onlyPublished = (
    subscriptions: readonly Subscription<SubscriptionDatabase>[],
  ): Subscription<SubscriptionDatabase>[] =>
    subscriptions.map(({ schema, handle, handleBatch }) => ({
      schema,
      handle: async (message: Message, ctx: HandlerContext<SubscriptionDatabase>) => {
        if (published.has(ctx.event.id)) await handle(message, ctx);
      },
      handleBatch:
        handleBatch &&
        (async (
          items: readonly BatchItem<DescMessage>[],
          ctx: BatchHandlerContext<SubscriptionDatabase>,
        ) => {
          const mine = items.filter((item) => published.has(item.event.id));
          if (mine.length > 0) await handleBatch(mine, ctx);
        }),
    }));

  function start() {
    return startServiceUnderTest(subscriptionServiceDefinition, {
      env: {
        SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
        QUEUE_URL: testQueueUrl(backend),
        SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: '3',
        SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: '20',
        SUBSCRIPTION_DELIVERY_RETRY_MAX_MS: '100',
      },
      authenticate,
      overrides: {
        consumerGroupId: `subscription-e2e-spec-${randomUUID()}`,
        wrapSubscriptions: onlyPublished,
      },
    });
  }

  // The AWS SDK reads the standard variables from the process, as in production;
  // ElasticMQ accepts any credentials.
  const savedAws = { ...process.env };
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID ??= 'elasticmq';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'elasticmq';
    process.env.AWS_REGION ??= 'elasticmq';
  });
  afterAll(() => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (savedAws[key] === undefined) delete process.env[key];
    }
  });

  beforeAll(async () => {
    bus = createEventBus({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      clientId: 'subscription-e2e-spec',
      source: '/switchboard/subscription-spec',
      logger: createTestLogger('subscription-e2e-bus'),
    });
    await bus.ensureTopics(allTopics);
    producer = bus.createProducer();
    service = await start();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await bus?.close();
  });

  async function publish(event: Message) {
    const id = randomUUID();
    published.add(id);
    await producer.publish(event, {
      id,
      source: bus.registry.byType(event.$typeName)!.event.source,
    });
    return id;
  }

  const agree: SinkReply = { status: 200, headers: { 'WebHook-Allowed-Origin': '*' } };
  const sinks: TestSink[] = [];
  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.close()));
  });

  /** A sink that agrees to the handshake, then answers POSTs with `replies` in turn. */
  async function subscribeSink(replies: SinkReply[]) {
    const sink = await startTestSink([agree, ...replies]);
    sinks.push(sink);
    const created = await service.client.createSubscription(
      { sinkUrl: sink.url, filter: { types: [PLACED] } },
      admin,
    );
    return { sink, subscriptionId: created.subscription!.subscriptionId };
  }

  const posts = (sink: TestSink) => sink.received.filter((r) => r.method === 'POST');

  async function onlyDelivery(subscriptionId: string, status: DeliveryStatus) {
    let found: Awaited<ReturnType<typeof service.client.listDeliveries>>['deliveries'] = [];
    await eventually(
      async () => {
        found = (await service.client.listDeliveries({ subscriptionId, status }, admin)).deliveries;
        return found.length === 1;
      },
      60_000,
      `no delivery reached ${DeliveryStatus[status]}`,
    );
    return found[0]!;
  }

  it('500, 500, then 200: delivered once, with the same delivery id on every attempt', async () => {
    const { sink, subscriptionId } = await subscribeSink([
      { status: 500 },
      { status: 500 },
      { status: 200 },
    ]);
    await publish(orderPlaced(700n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DELIVERED);
    expect(delivery).toMatchObject({ attempts: 3, lastHttpStatus: 200 });
    const tried = posts(sink);
    expect(tried).toHaveLength(3);
    expect(new Set(tried.map((p) => String(p.headers['webhook-id'])))).toEqual(
      new Set([delivery.deliveryId]),
    );
  });

  it('a sink that keeps failing: dead-lettered after the last attempt, and listed so', async () => {
    const { sink, subscriptionId } = await subscribeSink([{ status: 503 }]);
    await publish(orderPlaced(800n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DEAD_LETTERED);
    expect(delivery).toMatchObject({ attempts: 3, lastHttpStatus: 503 });
    expect(delivery.lastError).not.toBe('');
    expect(posts(sink)).toHaveLength(3);
  });

  it('a 400: dead-lettered at once, never retried', async () => {
    const { sink, subscriptionId } = await subscribeSink([{ status: 400 }]);
    await publish(orderPlaced(900n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DEAD_LETTERED);
    expect(delivery).toMatchObject({ attempts: 1, lastHttpStatus: 400 });
    expect(posts(sink)).toHaveLength(1);
  });
});
