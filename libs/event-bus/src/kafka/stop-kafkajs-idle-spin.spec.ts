import { setTimeout as sleep } from 'node:timers/promises';
import { quietLogger, testBus } from '../testing/outbox-fixture';

// kafkajs's internal per-connection queue, whose checks this spec counts.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exports no path to its RequestQueue and ships no types for it, so `import` cannot name it
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: { checkPendingRequests(this: unknown): void };
};

// A topic of this spec's own: other specs on the shared broker read the registry's topics.
const topic = 'test.idle-spin.v1';

describe('kafkajs connections at rest (real broker)', () => {
  const bus = testBus(quietLogger());
  afterAll(() => bus.close());

  it('run no pending-request checks once nothing is in flight, and still send new requests', async () => {
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

    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      original.call(this);
    };
    try {
      // Nothing to observe but the absence of work: a spinning queue checks ~every millisecond.
      await sleep(500);
      expect(checks).toBe(0);
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
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
