import { randomUUID } from 'node:crypto';
import { createStorage, sql, type Storage } from '@switchboard/storage';
import { createTestDatabase, createTestLogger, type TestDatabase } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import { verifyWebhook } from '@switchboard/webhook-receiver';
import { migrations } from '../migrations';
import { createPostgresDeliveryStore } from '../postgres/create-postgres-delivery-store';
import { createSecretSealer } from '../secrets/aes-gcm/create-secret-sealer';
import { createSigningSecret } from '../secrets/create-signing-secret';
import type { SubscriptionDatabase } from '../subscription-schema';
import { startTestSink, type TestSink } from '../testing/test-sink';
import { createTestDeliveryHandler } from './testing/create-test-delivery-handler';

// The handler against the service's own PostgreSQL store: what it records is
// what ListDeliveries shows.
describe('delivery handler with the PostgreSQL delivery store', () => {
  let database: TestDatabase;
  let storage: Storage<SubscriptionDatabase>;
  const sealer = createSecretSealer('a test key of at least thirty-two characters');
  const sinks: TestSink[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('subscription_delivery');
    storage = await createStorage<SubscriptionDatabase>({
      service: 'subscription',
      serviceDatabaseUrl: database.url,
      migrations,
      logger: createTestLogger(),
    });
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  /** A subscription and one PENDING delivery for it, as the matcher leaves them. */
  async function pendingDelivery(sinkUrl: string, mode: 'binary' | 'structured' = 'binary') {
    const subscriptionId = randomUUID();
    const deliveryId = randomUUID();
    const secret = createSigningSecret();
    const event = {
      specversion: '1.0',
      id: `evt-${deliveryId}`,
      source: '/switchboard/order-service',
      type: 'switchboard.order.v1.OrderPlaced',
      datacontenttype: 'application/json',
      data: { orderId: 'o-1' },
    };
    const job = { deliveryId, subscriptionId, event };
    await sql`
      insert into subscriptions (subscription_id, sink_url, filter, mode, secret_sealed)
      values (${subscriptionId}, ${sinkUrl}, ${JSON.stringify({ types: [event.type] })}::jsonb,
              ${mode}, ${await sealer.seal(secret, subscriptionId)})`.execute(storage.db);
    await sql`
      insert into deliveries (delivery_id, subscription_id, event_id, event_type, job)
      values (${deliveryId}, ${subscriptionId}, ${event.id}, ${event.type},
              ${JSON.stringify(job)}::jsonb)`.execute(storage.db);
    return {
      subscriptionId,
      deliveryId,
      secret,
      received: (attempt: number) => ({
        id: deliveryId,
        attempt,
        body: new TextEncoder().encode(JSON.stringify(job)),
      }),
    };
  }

  async function row(deliveryId: string) {
    const { rows } = await sql<{
      status: string;
      attempts: number;
      last_http_status: number;
      last_error: string;
    }>`select status, attempts, last_http_status, last_error from deliveries
       where delivery_id = ${deliveryId}`.execute(storage.db);
    return rows[0];
  }

  function handler(clock = createManualClock()) {
    return createTestDeliveryHandler({
      store: createPostgresDeliveryStore(storage.db, sealer),
      clock,
    });
  }

  it('records a failed attempt, then the delivery, signed with the sealed secret', async () => {
    const sink = await startTestSink({ replies: [{ status: 503, body: 'busy' }, { status: 200 }] });
    sinks.push(sink);
    const clock = createManualClock();
    const deliver = handler(clock);
    const d = await pendingDelivery(sink.url);

    await expect(deliver(d.received(1))).resolves.toEqual({ kind: 'retry', delayMs: 500 });
    expect(await row(d.deliveryId)).toEqual({
      status: 'pending',
      attempts: 1,
      last_http_status: 503,
      last_error: 'the sink answered 503: busy',
    });
    await expect(deliver(d.received(2))).resolves.toEqual({ kind: 'ack' });
    expect(await row(d.deliveryId)).toEqual({
      status: 'delivered',
      attempts: 2,
      last_http_status: 200,
      last_error: '',
    });
    for (const request of sink.posts) {
      expect(
        verifyWebhook({
          secret: d.secret,
          headers: request.headers,
          body: request.body,
          nowMs: clock.now(),
        }),
      ).toMatchObject({ ok: true, id: d.deliveryId });
    }
    // A redelivery after the ack was lost (a worker crash) posts again with the same
    // id and cannot move DELIVERED back.
    await expect(deliver(d.received(3))).resolves.toEqual({ kind: 'ack' });
    expect(sink.posts.map((r) => r.headers['webhook-id'])).toEqual([
      d.deliveryId,
      d.deliveryId,
      d.deliveryId,
    ]);
    expect(await row(d.deliveryId)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a refusing sink leaves the delivery DEAD_LETTERED with the reason', async () => {
    const sink = await startTestSink({ replies: [{ status: 422, body: 'no thanks' }] });
    sinks.push(sink);
    const d = await pendingDelivery(sink.url, 'structured');

    await expect(handler()(d.received(1))).resolves.toEqual({
      kind: 'dead-letter',
      reason: 'the sink answered 422: no thanks; not retried',
    });
    expect(sink.posts[0]!.headers['content-type']).toBe(
      'application/cloudevents+json; charset=utf-8',
    );
    expect(await row(d.deliveryId)).toEqual({
      status: 'dead_lettered',
      attempts: 1,
      last_http_status: 422,
      last_error: 'the sink answered 422: no thanks; not retried',
    });
  });

  it('a job for a deleted subscription is dropped unsent, and the row says so', async () => {
    const sink = await startTestSink({ replies: [{ status: 200 }] });
    sinks.push(sink);
    const d = await pendingDelivery(sink.url);
    await sql`update subscriptions set deleted_at = now() where subscription_id = ${d.subscriptionId}`.execute(
      storage.db,
    );

    await expect(handler()(d.received(1))).resolves.toEqual({ kind: 'ack' });
    expect(sink.posts).toHaveLength(0);
    expect(await row(d.deliveryId)).toEqual({
      status: 'dead_lettered',
      attempts: 0,
      last_http_status: 0,
      last_error: 'dropped: the subscription was deleted before delivery',
    });
  });
});
