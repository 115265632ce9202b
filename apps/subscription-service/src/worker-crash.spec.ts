import { randomUUID } from 'node:crypto';
import { DeliveryStatus } from '@switchboard/contracts';
import {
  createTestDatabase,
  eventually,
  startServiceProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';
import { ORDER_PLACED, orderPlaced, useDeliveryService } from './testing/use-delivery-service';
import { testQueueUrl, type TestQueueBackend } from './testing/test-queue-url';

// A worker killed with SIGKILL while the sink holds its POST: the service runs
// as `npm start` runs it, in a process of its own, and a second process on the
// same database and queue takes over. The job was never acknowledged, so the
// broker hands it out again (RabbitMQ at once, when the dead connection
// closes; SQS once its visibility timeout, 20 s here, has passed) and the sink sees
// the same delivery id twice: a receiver that deduplicates by webhook-id sees
// one delivery.
//
// The API runs in this process on the same database (no queue, no workers, no
// Kafka), so the spec creates the subscription and reads the deliveries
// without an auth service; the processes check no token.

describe.each<TestQueueBackend>(['rabbitmq', 'sqs'])(
  'a worker SIGKILLed mid-delivery on %s',
  (backend) => {
    let database: TestDatabase | undefined;
    const processes: ServiceProcess[] = [];
    beforeAll(async () => {
      database = await createTestDatabase('subscription_crash_spec');
    });
    const api = useDeliveryService({
      backend,
      databaseUrl: () => database!.url,
      role: 'api-only',
    });
    afterAll(async () => {
      // SIGTERM: a process that leaves its consumer group does not hold up the
      // next one's join for a session timeout.
      await Promise.all(processes.map((p) => p.stop()));
      await database?.drop();
    }, 60_000);

    it('delivers again after a restart, under the same delivery id, and ends DELIVERED', async () => {
      const queueUrl = testQueueUrl(backend);
      const startWorker = async () => {
        const started = await startServiceProcess({
          app: 'subscription-service',
          env: {
            AUTH_ADDR: '127.0.0.1:1',
            SUBSCRIPTION_DATABASE_URL: database!.url,
            QUEUE_URL: queueUrl,
            SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
            // Far above the time the sink holds the POST: only the kill ends
            // it. On SQS the job comes back once the visibility timeout, which
            // must exceed the delivery timeout, has run out.
            ...(backend === 'sqs'
              ? {
                  SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '15000',
                  SUBSCRIPTION_QUEUE_VISIBILITY_TIMEOUT_SECONDS: '20',
                }
              : { SUBSCRIPTION_DELIVERY_TIMEOUT_MS: '120000' }),
            AWS_ACCESS_KEY_ID: 'elasticmq',
            AWS_SECRET_ACCESS_KEY: 'elasticmq',
            AWS_REGION: 'elasticmq',
          },
        });
        processes.push(started);
        return started;
      };
      // The processes read every event on the run's broker: the filter matches
      // this spec's event alone.
      const customerId = randomUUID();
      const { sink, subscriptionId } = await api.subscribeSink(
        { replies: ['hang', { status: 200 }] },
        {
          types: [ORDER_PLACED],
          conditions: [{ field: 'customerId', test: { case: 'equals', value: customerId } }],
        },
      );

      const first = await startWorker();
      await api.publish(orderPlaced(1_500n, customerId));
      await eventually(async () => sink.held() === 1, 60_000, 'the first POST to be held');
      await first.kill();
      await eventually(async () => sink.held() === 0, 10_000, 'the killed worker to drop its POST');

      // Sent once, never answered: still pending, no outcome recorded.
      const [pending] = await api.deliveries(subscriptionId);
      expect(pending).toMatchObject({ status: DeliveryStatus.PENDING, lastHttpStatus: 0 });

      await startWorker();
      const delivered = await api.onlyDelivery(subscriptionId, DeliveryStatus.DELIVERED);
      expect(delivered.deliveryId).toBe(pending!.deliveryId);
      expect(delivered.lastHttpStatus).toBe(200);
      expect(await api.deliveries(subscriptionId)).toHaveLength(1);
      expect(sink.posts).toHaveLength(2);
      expect(sink.posts.map((p) => p.headers['webhook-id'])).toEqual([
        delivered.deliveryId,
        delivered.deliveryId,
      ]);
      // The same event both times: a redelivery, not a second match.
      expect(sink.posts[1]!.body).toEqual(sink.posts[0]!.body);
    }, 120_000);
  },
);
