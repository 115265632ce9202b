import { quietLogger, testBus } from '../testing/outbox-fixture';

// kafkajs's internal per-connection queue, whose checks this spec counts.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exports no path to its RequestQueue and ships no types for it, so `import` cannot name it
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: { scheduleCheckPendingRequests(this: QueueState): void };
};

interface QueueState {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
}

// A topic of this spec's own: other specs on the shared broker read the registry's topics.
const topic = 'test.idle-spin.v1';

describe('kafkajs connections at rest (real broker)', () => {
  const bus = testBus(quietLogger());
  afterAll(() => bus.close());

  it('arm no pending-request timer once nothing is in flight, and still send new requests', async () => {
    // Every connection's queue that schedules a check is seen here.
    const queues = new Set<QueueState>();
    const original = RequestQueue.prototype.scheduleCheckPendingRequests;
    RequestQueue.prototype.scheduleCheckPendingRequests = function (this: QueueState) {
      queues.add(this);
      original.call(this);
    };
    const producer = bus.createProducer();
    // Requests completed on two clients (admin, producer): each completion runs a check.
    await bus.ping();
    await bus.ensureTopics([
      { name: topic, partitions: 2, owner: 'test', events: [], description: 'idle-spin spec' },
    ]);
    await producer.publishRaw(
      Array.from({ length: 20 }, (_, i) => ({
        topic,
        key: `idle-spin-${i}`,
        headers: {},
        value: Buffer.from('x'),
      })),
    );

    try {
      // A spinning queue always has its next check armed, even with nothing
      // to send; at rest, no queue that has nothing pending may have one.
      const idle = [...queues].filter((queue) => queue.pending.length === 0);
      expect(idle.length).toBeGreaterThanOrEqual(2); // the admin's and the producer's
      expect(idle.filter((queue) => queue.throttleCheckTimeoutId)).toEqual([]);
    } finally {
      RequestQueue.prototype.scheduleCheckPendingRequests = original;
    }
    // Queued requests still go out: with one request in flight per connection,
    // the producer's sends wait in the queue and are released by completions.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        producer.publishRaw([
          { topic, key: `idle-spin-after-${i}`, headers: {}, value: Buffer.from('y') },
        ]),
      ),
    );
    await bus.ping();
  });
});
