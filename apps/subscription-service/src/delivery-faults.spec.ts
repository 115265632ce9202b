import { DeliveryStatus } from '@switchboard/contracts';
import { orderPlaced, useDeliveryService } from './testing/use-delivery-service';
import type { TestQueueBackend } from './testing/test-queue-url';

// What a failing sink does to deliveries, through the real work queue: the
// retries are the queue's delayed redeliveries (a RabbitMQ delay queue, an SQS
// visibility timeout), not a loop in the worker. Back-off is shortened by
// configuration so a retry takes milliseconds (SQS rounds up to a second).

describe.each<TestQueueBackend>(['rabbitmq', 'sqs'])('delivery faults on %s', (backend) => {
  const { publish, subscribeSink, onlyDelivery } = useDeliveryService({
    backend,
    env: {
      SUBSCRIPTION_DELIVERY_MAX_ATTEMPTS: '3',
      SUBSCRIPTION_DELIVERY_RETRY_INITIAL_MS: '20',
      SUBSCRIPTION_DELIVERY_RETRY_MAX_MS: '100',
    },
  });

  it('500, 500, then 200: delivered once, with the same delivery id on every attempt', async () => {
    const { sink, subscriptionId } = await subscribeSink({
      replies: [{ status: 500 }, { status: 500 }, { status: 200 }],
    });
    await publish(orderPlaced(700n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DELIVERED);
    expect(delivery).toMatchObject({ attempts: 3, lastHttpStatus: 200 });
    expect(sink.posts).toHaveLength(3);
    expect(new Set(sink.posts.map((p) => String(p.headers['webhook-id'])))).toEqual(
      new Set([delivery.deliveryId]),
    );
  });

  it('a sink that keeps failing: dead-lettered after the last attempt, and listed so', async () => {
    const { sink, subscriptionId } = await subscribeSink({ replies: [{ status: 503 }] });
    await publish(orderPlaced(800n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DEAD_LETTERED);
    expect(delivery).toMatchObject({ attempts: 3, lastHttpStatus: 503 });
    expect(delivery.lastError).not.toBe('');
    expect(sink.posts).toHaveLength(3);
  });

  it('a 400: dead-lettered at once, never retried', async () => {
    const { sink, subscriptionId } = await subscribeSink({ replies: [{ status: 400 }] });
    await publish(orderPlaced(900n));

    const delivery = await onlyDelivery(subscriptionId, DeliveryStatus.DEAD_LETTERED);
    expect(delivery).toMatchObject({ attempts: 1, lastHttpStatus: 400 });
    expect(sink.posts).toHaveLength(1);
  });
});
