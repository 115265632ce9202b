import { createTestLogger } from '@switchboard/testing';
import type { JobHandler, JobOutcome, ReceivedJob, WorkQueue } from '@switchboard/work-queue';
import { createDeliveryWorkers } from './create-delivery-workers';

/**
 * The queue side as a backend drives it: consume() hands over the handler,
 * which the test then calls as the backend would for each message. Whether
 * the backends themselves wait on stop() is their specs' business; here
 * stop() returns at once, so only the workers' own wait is measured.
 */
function queueDrivenByTest() {
  let handler: JobHandler | undefined;
  let concurrency: number | undefined;
  let stopped = false;
  const queue: WorkQueue = {
    send: async () => {},
    close: async () => {},
    async consume(h, options) {
      handler = h;
      concurrency = options?.concurrency;
      return { stop: async () => void (stopped = true) };
    },
  };
  return {
    queue,
    deliver: (job: ReceivedJob) => handler!(job),
    get concurrency() {
      return concurrency;
    },
    get stopped() {
      return stopped;
    },
  };
}

const job = (id: string): ReceivedJob => ({ id, attempt: 1, body: new Uint8Array() });

describe('createDeliveryWorkers', () => {
  it('consumes with SUBSCRIPTION_WORKERS consumers and passes outcomes through', async () => {
    const driven = queueDrivenByTest();
    const workers = createDeliveryWorkers({
      queue: driven.queue,
      handler: async () => ({ kind: 'ack' }),
      concurrency: 4,
      logger: createTestLogger(),
    });
    await workers.start();
    expect(driven.concurrency).toBe(4);
    await expect(driven.deliver(job('a'))).resolves.toEqual({ kind: 'ack' });
    await workers.close();
  });

  it('close() stops the consumer and waits for the deliveries in flight', async () => {
    const driven = queueDrivenByTest();
    const finish: ((outcome: JobOutcome) => void)[] = [];
    const workers = createDeliveryWorkers({
      queue: driven.queue,
      handler: () => new Promise<JobOutcome>((resolve) => finish.push(resolve)),
      concurrency: 2,
      logger: createTestLogger(),
    });
    await workers.start();
    const first = driven.deliver(job('a'));
    const second = driven.deliver(job('b'));
    expect(workers.inFlight).toBe(2);

    let closed = false;
    const closing = workers.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(driven.stopped).toBe(true);
    expect(closed).toBe(false);

    finish[0]!({ kind: 'ack' });
    await first;
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);

    finish[1]!({ kind: 'retry', delayMs: 10 });
    await expect(second).resolves.toEqual({ kind: 'retry', delayMs: 10 });
    await closing;
    expect(closed).toBe(true);
    expect(workers.inFlight).toBe(0);
  });

  it('a job handed over while stopping is refused unstarted, so the queue gives it back', async () => {
    const driven = queueDrivenByTest();
    const handled: string[] = [];
    const workers = createDeliveryWorkers({
      queue: driven.queue,
      handler: async (j) => {
        handled.push(j.id);
        return { kind: 'ack' };
      },
      concurrency: 1,
      logger: createTestLogger(),
    });
    await workers.start();
    const closing = workers.close();
    await expect(driven.deliver(job('late'))).rejects.toThrow('the delivery workers are stopping');
    await closing;
    expect(handled).toEqual([]);
  });

  it('refuses a concurrency below 1 and a second start', async () => {
    const driven = queueDrivenByTest();
    const options = {
      queue: driven.queue,
      handler: async () => ({ kind: 'ack' }) as const,
      logger: createTestLogger(),
    };
    expect(() => createDeliveryWorkers({ ...options, concurrency: 0 })).toThrow(RangeError);
    const workers = createDeliveryWorkers({ ...options, concurrency: 1 });
    await workers.start();
    await expect(workers.start()).rejects.toThrow('started already');
    await workers.close();
  });
});
