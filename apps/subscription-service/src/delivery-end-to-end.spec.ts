import { randomUUID } from 'node:crypto';
import { type Message } from '@bufbuild/protobuf';
import { DeliveryStatus, allTopics } from '@switchboard/contracts';
import { createEventBus, type EventBus } from '@switchboard/event-bus';
import {
  bearer,
  createTestAuthenticator,
  createTestLogger,
  eventually,
  startServiceUnderTest,
} from '@switchboard/testing';
import { verifyWebhook } from '@switchboard/webhook-receiver';
import { subscriptionServiceDefinition } from './subscription-service-definition';
import { testQueueUrl, type TestQueueBackend } from './testing/test-queue-url';
import { onlyPublished } from './testing/only-published';
import { startTestSink, type TestSink } from './testing/test-sink';
import { orderPlaced } from './testing/use-delivery-service';

// The whole path on real brokers: an OrderPlaced on Kafka, matched by the
// inbox consumer, dispatched to the work queue (RabbitMQ, then SQS on
// ElasticMQ), taken by a worker and POSTed to a real HTTP sink on loopback,
// signed. Tokens are not the subject here, so an admin stand-in calls the API.

const PLACED = 'switchboard.order.v1.OrderPlaced';
const admin = bearer('admin-token');
const authenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin'] },
});

describe.each<TestQueueBackend>(['rabbitmq', 'sqs'])('delivery end to end on %s', (backend) => {
  let bus: EventBus;
  let producer: ReturnType<EventBus['createProducer']>;
  let sink: TestSink;
  let service: Awaited<ReturnType<typeof start>>;
  const published = new Set<string>();

  function start() {
    return startServiceUnderTest(subscriptionServiceDefinition, {
      env: {
        SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
        QUEUE_URL: testQueueUrl(backend),
      },
      authenticate,
      overrides: {
        consumerGroupId: `subscription-e2e-spec-${randomUUID()}`,
        wrapSubscriptions: onlyPublished(published),
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
    sink = await startTestSink();
    service = await start();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await sink?.close();
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

  it('posts exactly the matching OrderPlaced events to the sink, signed, and lists them delivered', async () => {
    const created = await service.client.createSubscription(
      {
        sinkUrl: sink.url,
        filter: {
          types: [PLACED],
          conditions: [
            { field: 'total.amountMinor', test: { case: 'range', value: { gte: 1000 } } },
          ],
        },
      },
      admin,
    );
    const subscriptionId = created.subscription!.subscriptionId;

    const big = orderPlaced(1500n);
    const bigId = await publish(big);
    const smallId = await publish(orderPlaced(500n));
    const otherBigId = await publish(orderPlaced(2500n));

    await eventually(
      async () => {
        const listed = await service.client.listDeliveries(
          { subscriptionId, status: DeliveryStatus.DELIVERED },
          admin,
        );
        return listed.deliveries.length === 2;
      },
      60_000,
      'the two matching orders were not delivered',
    );

    // Exactly the matching events reached the sink, each once.
    const byEvent = new Map(sink.posts.map((p) => [String(p.headers['ce-id']), p]));
    expect([...byEvent.keys()].sort()).toEqual([bigId, otherBigId].sort());
    expect(byEvent.has(smallId)).toBe(false);
    expect(sink.posts).toHaveLength(2);

    // Binary mode: the CloudEvent's attributes as ce-* headers, its data as the body,
    // signed over the exact bytes with the secret shown at creation.
    const post = byEvent.get(bigId)!;
    expect(post.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-type': PLACED,
      'ce-source': '/switchboard/order-service',
      'content-type': 'application/json',
    });
    expect(JSON.parse(post.body.toString('utf8'))).toMatchObject({
      orderId: big.orderId,
      total: { currencyCode: 'EUR', amountMinor: '1500' },
    });
    const verdict = verifyWebhook({
      secret: created.signingSecret,
      headers: post.headers,
      body: post.body,
    });
    expect(verdict).toMatchObject({ ok: true });
    const delivered = await service.client.listDeliveries({ subscriptionId }, admin);
    const ids = delivered.deliveries.map((d) => d.deliveryId).sort();
    expect(sink.posts.map((p) => String(p.headers['webhook-id'])).sort()).toEqual(ids);
    expect(delivered.deliveries.every((d) => d.attempts === 1 && d.lastHttpStatus === 200)).toBe(
      true,
    );
  });
});
