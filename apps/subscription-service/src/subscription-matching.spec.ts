import { randomBytes, randomUUID } from 'node:crypto';
import { type Message } from '@bufbuild/protobuf';
import { SpanKind } from '@opentelemetry/api';
import { DeliveryMode, DeliveryStatus, allTopics } from '@switchboard/contracts';
import { createEventBus, encodeEvent, type EventBus } from '@switchboard/event-bus';
import {
  bearer,
  createTestAuthenticator,
  createTestLogger,
  eventually,
  registerTestTelemetry,
  startServiceUnderTest,
} from '@switchboard/testing';
import type { DeliveryJob } from './delivery-job';
import { subscriptionServiceDefinition } from './subscription-service-definition';
import { onlyPublished } from './testing/only-published';
import { startTestSink, type TestSink } from './testing/test-sink';
import { orderPlaced } from './testing/use-delivery-service';

// Real events on the real broker, through the real inbox consumer, into the
// deliveries table of a real PostgreSQL database. This spec is about matching,
// not tokens (subscription-api.spec.ts checks those against the real auth),
// so an admin token stands in for auth here.

const PLACED = 'switchboard.order.v1.OrderPlaced';
const CANCELLED = 'switchboard.order.v1.OrderCancelled';
const admin = bearer('admin-token');
const authenticate = createTestAuthenticator({
  'admin-token': { userId: 'u-admin', roles: ['admin'] },
});

describe('matching events to subscriptions', () => {
  let bus: EventBus;
  let producer: ReturnType<EventBus['createProducer']>;
  let sink: TestSink;
  let service: Awaited<ReturnType<typeof start>>;
  /** The events this spec published: the service handles only these. */
  const published = new Set<string>();

  function start() {
    return startServiceUnderTest(subscriptionServiceDefinition, {
      env: { SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true' },
      authenticate,
      overrides: {
        consumerGroupId: `subscription-service-spec-${randomUUID()}`,
        // Matching only: the rows stay as the matcher wrote them, with no worker on them.
        deliver: false,
        wrapSubscriptions: onlyPublished(published),
      },
    });
  }

  beforeAll(async () => {
    bus = createEventBus({
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      clientId: 'subscription-matching-spec',
      source: '/switchboard/subscription-spec',
      logger: createTestLogger('subscription-spec-bus'),
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

  async function subscribe(init: Parameters<typeof service.client.createSubscription>[0]) {
    const created = await service.client.createSubscription({ sinkUrl: sink.url, ...init }, admin);
    return { id: created.subscription!.subscriptionId, secret: created.signingSecret };
  }

  async function publish(event: Message) {
    const id = randomUUID();
    published.add(id);
    await producer.publish(event, {
      id,
      source: bus.registry.byType(event.$typeName)!.event.source,
    });
    return id;
  }

  /** Waits until the inbox recorded the events: their deliveries, if any, are committed. */
  async function handled(ids: string[]) {
    await eventually(
      async () => {
        const rows = await service.running.storage.db
          .selectFrom('inbox')
          .select('event_id')
          .where('event_id', 'in', ids)
          .execute();
        return rows.length === ids.length;
      },
      60_000,
      'the events were not consumed',
    );
  }

  it('OrderPlaced with a total filter: one PENDING delivery per matching, live, unpaused subscription', async () => {
    const big = await subscribe({
      filter: {
        types: [PLACED],
        conditions: [{ field: 'total.amountMinor', test: { case: 'range', value: { gte: 1000 } } }],
      },
      mode: DeliveryMode.STRUCTURED,
    });
    const small = await subscribe({
      filter: {
        types: [PLACED],
        conditions: [{ field: 'total.amountMinor', test: { case: 'range', value: { lt: 1000 } } }],
      },
    });
    const paused = await subscribe({ filter: { types: [PLACED] } });
    await service.client.pauseSubscription({ subscriptionId: paused.id }, admin);
    const deleted = await subscribe({ filter: { types: [PLACED] } });
    await service.client.deleteSubscription({ subscriptionId: deleted.id }, admin);
    const cancellations = await subscribe({ filter: { types: [CANCELLED] } });
    const euro = await subscribe({
      filter: {
        sources: ['/switchboard/order-service'],
        conditions: [{ field: 'total.currencyCode', test: { case: 'equals', value: 'EUR' } }],
      },
    });

    const bigOrder = orderPlaced(1500n);
    const smallOrder = orderPlaced(500n);
    const bigId = await publish(bigOrder);
    const smallId = await publish(smallOrder);
    await handled([bigId, smallId]);

    const rows = await service.running.storage.db
      .selectFrom('deliveries')
      .select(['delivery_id', 'subscription_id', 'event_id', 'event_type', 'status', 'job'])
      .where('event_id', 'in', [bigId, smallId])
      .execute();
    const pairs = rows.map((r) => `${r.subscription_id}:${r.event_id}`).sort();
    expect(pairs).toEqual(
      [
        `${big.id}:${bigId}`,
        `${small.id}:${smallId}`,
        `${euro.id}:${bigId}`,
        `${euro.id}:${smallId}`,
      ].sort(),
    );
    for (const id of [paused.id, deleted.id, cancellations.id]) {
      expect(rows.filter((r) => r.subscription_id === id)).toEqual([]);
    }
    expect(rows.every((r) => r.status === 'pending' && r.event_type === PLACED)).toBe(true);

    // The job body as agreed with the workers: the event as a JSON CloudEvent.
    const bigRow = rows.find((r) => r.subscription_id === big.id)!;
    const job = bigRow.job as DeliveryJob;
    expect(job).toEqual({
      deliveryId: bigRow.delivery_id,
      subscriptionId: big.id,
      event: {
        specversion: '1.0',
        id: bigId,
        source: '/switchboard/order-service',
        type: PLACED,
        time: expect.any(String),
        datacontenttype: 'application/json',
        data: expect.objectContaining({
          orderId: bigOrder.orderId,
          total: { currencyCode: 'EUR', amountMinor: '1500' },
        }),
      },
    });

    // What ListDeliveries shows, and what the workers read and write through the store.
    const listed = await service.client.listDeliveries({ subscriptionId: big.id }, admin);
    expect(listed.deliveries).toHaveLength(1);
    expect(listed.deliveries[0]).toMatchObject({
      deliveryId: bigRow.delivery_id,
      eventId: bigId,
      eventType: PLACED,
      status: DeliveryStatus.PENDING,
      attempts: 0,
    });
    const store = service.running.module.deliveryStore;
    const target = await store.subscriptionForDelivery(bigRow.delivery_id);
    expect(target).toEqual({
      deliveryId: bigRow.delivery_id,
      subscriptionId: big.id,
      sinkUrl: sink.url,
      mode: DeliveryMode.STRUCTURED,
      signingSecret: big.secret,
      paused: false,
      deleted: false,
    });
    await store.recordAttempt(bigRow.delivery_id, { httpStatus: 503, error: 'sink answered 503' });
    await store.markDelivered(bigRow.delivery_id, { httpStatus: 200 });
    // A redelivered job after the success changes nothing.
    await store.markDeadLettered(bigRow.delivery_id, 'late duplicate', { httpStatus: 500 });
    await store.recordAttempt(bigRow.delivery_id, { httpStatus: 500 });
    const after = await service.client.listDeliveries(
      { subscriptionId: big.id, status: DeliveryStatus.DELIVERED },
      admin,
    );
    expect(after.deliveries[0]).toMatchObject({
      status: DeliveryStatus.DELIVERED,
      attempts: 2,
      lastHttpStatus: 200,
      lastError: '',
    });

    const smallRow = rows.find((r) => r.subscription_id === small.id)!;
    await store.markDeadLettered(smallRow.delivery_id, 'sink answered 410', { httpStatus: 410 });
    const dead = await service.client.listDeliveries(
      { status: DeliveryStatus.DEAD_LETTERED },
      admin,
    );
    expect(dead.deliveries.map((d) => d.deliveryId)).toEqual([smallRow.delivery_id]);
    expect(dead.deliveries[0]).toMatchObject({
      lastHttpStatus: 410,
      lastError: 'sink answered 410',
    });
    expect(await store.subscriptionForDelivery(randomUUID())).toBeUndefined();
  });

  it('a run of orders in one write: one query, the matching ones only', async () => {
    const threshold = await subscribe({
      filter: {
        types: [PLACED],
        conditions: [
          { field: 'total.amountMinor', test: { case: 'range', value: { gte: 1000, lt: 1500 } } },
        ],
      },
    });
    const orders = Array.from({ length: 20 }, (_, i) => orderPlaced(BigInt(i * 100)));
    const key = randomUUID();
    const ids = orders.map(() => randomUUID());
    for (const id of ids) published.add(id);
    await producer.publishRaw(
      orders.map((order, i) => ({
        ...encodeEvent(order, {
          registry: bus.registry,
          source: bus.registry.byType(PLACED)!.event.source,
          id: ids[i]!,
        }),
        key,
      })),
    );
    await handled(ids);
    const rows = await service.running.storage.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('subscription_id', '=', threshold.id)
      .execute();
    // 1000, 1100, 1200, 1300 and 1400.
    expect(rows.map((r) => r.event_id).sort()).toEqual(ids.slice(10, 15).sort());
  });

  // Last: it registers a tracer globally, and the tests above check the job
  // as it is when nothing is traced (no traceContext at all).
  it("the job carries the context of the event's process span, so deliveries join the event's trace", async () => {
    const telemetry = registerTestTelemetry();
    try {
      const sub = await subscribe({ filter: { types: [PLACED] } });
      // The headers order-service's outbox writes: the W3C context of its producer span.
      const traceId = randomBytes(16).toString('hex');
      const producerSpanId = randomBytes(8).toString('hex');
      const id = randomUUID();
      published.add(id);
      await producer.publishRaw([
        encodeEvent(orderPlaced(700n), {
          registry: bus.registry,
          source: bus.registry.byType(PLACED)!.event.source,
          id,
          headers: { traceparent: `00-${traceId}-${producerSpanId}-01` },
        }),
      ]);
      await handled([id]);
      const row = await service.running.storage.db
        .selectFrom('deliveries')
        .select('job')
        .where('subscription_id', '=', sub.id)
        .where('event_id', '=', id)
        .executeTakeFirstOrThrow();
      const carried = (row.job as DeliveryJob).traceContext;
      const [, carriedTraceId, spanId] = carried?.traceparent.split('-') ?? [];
      expect(carriedTraceId).toBe(traceId);
      // The matcher's own span for the event when it handled it in the
      // event's trace, else the producer's span the record named.
      const processSpan = telemetry
        .spans()
        .find(
          (s) =>
            s.spanContext().spanId === spanId &&
            s.spanContext().traceId === traceId &&
            s.kind === SpanKind.CONSUMER,
        );
      expect(spanId === producerSpanId || processSpan !== undefined).toBe(true);
    } finally {
      await telemetry.shutdown();
    }
  });
});
