import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRabbitTestBroker, type RabbitTestBroker } from '../testing/rabbitmq-test-broker';
import type { WorkQueue } from '../work-queue';
import { createAmqpWorkQueue } from './create-amqp-work-queue';

// A broker of this file's own, stopped and started again mid-run.
describe('RabbitMQ work queue across a broker restart', () => {
  let dataDir: string;
  let broker: RabbitTestBroker | undefined;
  const queues: WorkQueue[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-rabbitmq-restart-'));
    broker = await startRabbitTestBroker({ dataDir });
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(queues.map((q) => q.close()));
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('loses no job sent or consumed while the broker restarts under load', async () => {
    const first = broker!;
    const url = first.url;
    const queueName = `restart-${randomUUID().slice(0, 8)}`;
    const options = { url, queueName, connectTimeoutMs: 120_000 };
    const producer = await createAmqpWorkQueue(options);
    const consumerQueue = await createAmqpWorkQueue(options);
    queues.push(producer, consumerQueue);

    const total = 300;
    const ids = Array.from({ length: total }, () => randomUUID());
    const received = new Set<string>();
    let restartDone: Promise<void> | undefined;
    let allReceived!: () => void;
    const everything = new Promise<void>((resolve) => (allReceived = resolve));
    // Until the broker is down, the consumers hold their jobs unacknowledged
    // (those acks then fail), so the first 100 jobs are all still on the
    // broker when it stops: in flight or queued. Only deliveries after the
    // restart count.
    let down = false;
    let stopped!: () => void;
    const brokerDown = new Promise<void>((resolve) => (stopped = resolve));
    const consumer = await consumerQueue.consume(
      async (job) => {
        if (!down) {
          await brokerDown;
          return { kind: 'ack' };
        }
        received.add(job.id);
        if (received.size === total) allReceived();
        return { kind: 'ack' };
      },
      { concurrency: 4 },
    );

    // One confirmed job after another; a third of the way in the broker
    // stops, and the rest are sent while it is down and once it is back.
    async function restartBroker(): Promise<void> {
      await first.stop();
      broker = undefined;
      down = true;
      stopped();
      broker = await startRabbitTestBroker({ dataDir, ports: first.ports });
    }
    for (const [i, id] of ids.entries()) {
      if (i === 100) {
        restartDone = restartBroker();
        await brokerDown;
      }
      await producer.send({ id, body: new TextEncoder().encode(`job ${i}`) });
    }
    await restartDone;
    await Promise.race([
      everything,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`received ${received.size} of ${total}`)),
          120_000,
        ).unref(),
      ),
    ]);
    await consumer.stop();
    expect(ids.filter((id) => !received.has(id))).toEqual([]);
  }, 300_000);

  it('fails a send clearly once the broker has been down for connectTimeoutMs', async () => {
    const running = broker!;
    const queueName = `outage-${randomUUID().slice(0, 8)}`;
    const queue = await createAmqpWorkQueue({
      url: running.url,
      queueName,
      connectTimeoutMs: 1_000,
    });
    queues.push(queue);
    await running.stop();
    broker = undefined;
    try {
      await expect(queue.send({ id: 'job-1', body: new Uint8Array([1]) })).rejects.toThrow(
        new RegExp(
          `RabbitMQ did not confirm job job-1 for ${queueName} within 1000 ms: .*unreachable`,
        ),
      );
    } finally {
      broker = await startRabbitTestBroker({ dataDir, ports: running.ports });
    }
    // Back up: the same queue object sends again, without being reopened, once
    // its reconnect (back-off of at most 5 s) has found the broker.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await queue.send({ id: 'job-2', body: new Uint8Array([2]) });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  }, 180_000);
});
