import { createTestLogger } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import type { QueuedJob } from '@switchboard/work-queue';
import { createDeliveryDispatcher } from './create-delivery-dispatcher';
import type { DeliveryOutbox, UnsentDelivery } from './delivery-outbox';

// The dispatcher's own logic (claim, send, mark only what was confirmed,
// release the rest, wake on a poke or the poll) over an in-memory outbox and
// queue. The real table and the real brokers have specs of their own.

function memoryOutbox(ids: string[]) {
  const unsent = new Map(ids.map((id) => [id, Buffer.from(`{"deliveryId":"${id}"}`)]));
  const claimed = new Set<string>();
  const sent: string[] = [];
  const outbox: DeliveryOutbox = {
    async claim(limit) {
      const batch: UnsentDelivery[] = [];
      for (const [deliveryId, body] of unsent) {
        if (batch.length === limit) break;
        if (claimed.has(deliveryId)) continue;
        claimed.add(deliveryId);
        batch.push({ deliveryId, body });
      }
      return batch;
    },
    async markSent(done) {
      for (const id of done) {
        unsent.delete(id);
        claimed.delete(id);
        sent.push(id);
      }
    },
    async release(failed) {
      for (const id of failed) claimed.delete(id);
    },
  };
  return { outbox, unsent, sent, add: (id: string) => unsent.set(id, Buffer.from(id)) };
}

/** A queue that confirms, except the ids it is told to refuse while `down` holds them. */
function memoryQueue() {
  const jobs: QueuedJob[] = [];
  const down = new Set<string>();
  return {
    jobs,
    down,
    async send(job: QueuedJob) {
      if (down.has(job.id)) throw new Error(`broker refused ${job.id}`);
      jobs.push(job);
    },
  };
}

describe('createDeliveryDispatcher', () => {
  const logger = createTestLogger('dispatcher-spec');

  it('sends every unsent delivery under its delivery id and marks only what the queue confirmed', async () => {
    const store = memoryOutbox(['d1', 'd2', 'd3']);
    const queue = memoryQueue();
    queue.down.add('d2');
    const dispatcher = createDeliveryDispatcher({
      outbox: store.outbox,
      queue,
      logger,
      pollMs: 1_000,
      batchSize: 10,
    });
    await expect(dispatcher.dispatchOnce()).rejects.toThrow(/1 of 3 deliveries not queued/);
    expect(queue.jobs.map((j) => j.id)).toEqual(['d1', 'd3']);
    expect(store.sent).toEqual(['d1', 'd3']);
    expect([...store.unsent.keys()]).toEqual(['d2']);

    // Released, so the next round takes it again: nothing is lost.
    queue.down.clear();
    expect(await dispatcher.dispatchOnce()).toBe(1);
    expect(store.sent).toEqual(['d1', 'd3', 'd2']);
    expect(await dispatcher.dispatchOnce()).toBe(0);
    expect(queue.jobs[0]!.body).toEqual(Buffer.from('{"deliveryId":"d1"}'));
  });

  it('runs a round when poked, and on the poll when nothing pokes it', async () => {
    const clock = createManualClock();
    const store = memoryOutbox([]);
    const queue = memoryQueue();
    const dispatcher = createDeliveryDispatcher({
      outbox: store.outbox,
      queue,
      logger,
      clock,
      pollMs: 5_000,
    });
    dispatcher.start();
    try {
      await clock.advance(0);
      store.add('poked');
      dispatcher.poke();
      await eventuallyTrue(() => store.sent.includes('poked'));

      // No poke: only the poll finds it, and not before it is due.
      store.add('polled');
      await clock.advance(4_000);
      expect(store.sent).not.toContain('polled');
      await clock.advance(1_000);
      await eventuallyTrue(() => store.sent.includes('polled'));
    } finally {
      await dispatcher.close();
    }
  });

  it('keeps retrying while the queue refuses, and recovers', async () => {
    const clock = createManualClock();
    const store = memoryOutbox(['late']);
    const queue = memoryQueue();
    queue.down.add('late');
    const dispatcher = createDeliveryDispatcher({
      outbox: store.outbox,
      queue,
      logger,
      clock,
      pollMs: 60_000,
      retryDelayMs: 1_000,
    });
    dispatcher.start();
    try {
      await clock.advance(3_000);
      expect(store.sent).toEqual([]);
      queue.down.clear();
      await clock.advance(1_000);
      await eventuallyTrue(() => store.sent.includes('late'));
    } finally {
      await dispatcher.close();
    }
  });
});

/** Lets the dispatcher's promise chain run: no timers, only microtasks and I/O turns. */
async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((r) => setImmediate(r));
  expect(check()).toBe(true);
}
