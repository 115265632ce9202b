import { DeliveryStatus } from '@switchboard/contracts';
import { orderPlaced, useDeliveryService } from './testing/use-delivery-service';
import type { TestQueueBackend } from './testing/test-queue-url';

// A 429 with Retry-After through the real queue: the worker hands the sink's
// delay to the queue (a RabbitMQ delay queue, an SQS visibility timeout), and
// the next attempt arrives no sooner. The back-off is shortened to
// milliseconds, so a gap of two seconds can only come from the Retry-After.
// Only a lower bound is asserted: how late a broker redelivers is its business.

const RETRY_AFTER_S = 2;

describe.each<TestQueueBackend>(['rabbitmq', 'sqs'])('Retry-After on %s', (backend) => {
  const { publish, subscribeSink, onlyDelivery } = useDeliveryService({
    backend,
    env: {
      SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: '3',
      SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: '20',
      SUBSCRIPTION_DELIVERY_RETRY_MAX_MS: '100',
    },
  });

  it('429 with Retry-After: 2, then 200: the second attempt waits at least 2 s, same id', async () => {
    const { sink, subscriptionId } = await subscribeSink({
      replies: [
        { status: 429, headers: { 'Retry-After': String(RETRY_AFTER_S) } },
        { status: 200 },
      ],
    });
    await publish(orderPlaced(1_200n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DELIVERED);
    expect(delivery).toMatchObject({ attempts: 2, lastHttpStatus: 200 });
    const [throttled, accepted] = sink.posts;
    expect(sink.posts).toHaveLength(2);
    expect(accepted!.receivedAt - throttled!.receivedAt).toBeGreaterThanOrEqual(
      RETRY_AFTER_S * 1_000,
    );
    expect(sink.posts.map((p) => p.headers['webhook-id'])).toEqual([
      delivery.deliveryId,
      delivery.deliveryId,
    ]);
  });
});
