import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWorkQueue } from './create-work-queue';
import type { DeadLetterReader } from './dead-letter-reader';
import { freePort } from './testing/free-port';
import { findScript } from './testing/start-launcher';
import type { JobOutcome, ReceivedJob, WorkQueue } from './work-queue';
import type { WorkQueueOptions } from './work-queue-options';

type OpenQueue = (
  name: string,
  options?: WorkQueueOptions,
) => Promise<WorkQueue & DeadLetterReader>;
type QueueUrl = (name: string) => string;

function rabbitUrl(name: string): string {
  return `${process.env.TEST_RABBITMQ_URL}/?queue=${name}`;
}
function sqsUrl(name: string): string {
  return `${process.env.TEST_ELASTICMQ_ENDPOINT}/000000000000/${name}`;
}
// ElasticMQ takes any credentials; the SDK insists on some.
process.env.AWS_ACCESS_KEY_ID ??= 'switchboard-test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'switchboard-test';

const backends: Array<[string, QueueUrl]> = [
  ['RabbitMQ', rabbitUrl],
  ['SQS (ElasticMQ)', sqsUrl],
];

const ACK: JobOutcome = { kind: 'ack' };
const text = (job: { body: Uint8Array }) => new TextDecoder().decode(job.body);
const bytes = (s: string) => new TextEncoder().encode(s);

/** Resolves with what `count` deliveries brought, in order; the handler decides each outcome. */
function collector(count: number, decide: (job: ReceivedJob) => JobOutcome = () => ACK) {
  const seen: ReceivedJob[] = [];
  let done!: (jobs: ReceivedJob[]) => void;
  const all = new Promise<ReceivedJob[]>((resolve) => (done = resolve));
  const handler = async (job: ReceivedJob) => {
    seen.push(job);
    if (seen.length === count) done(seen);
    return decide(job);
  };
  return { handler, all, seen };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns a value, failing after 20 s. */
async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 20000 ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(backends)('%s work queue', (_backend, urlFor) => {
  const open: OpenQueue = (name, options) =>
    createWorkQueue(urlFor(name), { waitTimeSeconds: 1, ...options });
  const opened: WorkQueue[] = [];
  const openTracked: OpenQueue = async (name, options) => {
    const queue = await open(name, options);
    opened.push(queue);
    return queue;
  };
  const freshName = () => `wq-${randomUUID().slice(0, 8)}`;

  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((q) => q.close()));
  });

  it('delivers each sent job once, with its id, body and attempt 1', async () => {
    const queue = await openTracked(freshName());
    const sent = ['a', 'b', 'c'].map((s) => ({ id: randomUUID(), body: bytes(`job ${s}`) }));
    for (const job of sent) await queue.send(job);
    const { handler, all } = collector(3);
    const consumer = await queue.consume(handler);
    const got = await within(all, 20_000, 'three deliveries');
    await consumer.stop();
    expect(got.map((j) => [j.id, text(j), j.attempt]).sort()).toEqual(
      sent.map((j) => [j.id, text(j), 1]).sort(),
    );
  });

  it('carries a binary body byte for byte', async () => {
    const queue = await openTracked(freshName());
    // Not UTF-8, with a NUL and bytes SQS would refuse as text.
    const body = new Uint8Array([0, 0xff, 0xfe, 0x80, 0x01, 0x1b, 0xc3, 0x28]);
    const id = randomUUID();
    await queue.send({ id, body });
    const { handler, all } = collector(1);
    const consumer = await queue.consume(handler);
    const [got] = await within(all, 20_000, 'the delivery');
    await consumer.stop();
    expect([got!.id, [...got!.body]]).toEqual([id, [...body]]);
  });

  it('shares jobs between competing consumers, each job to one of them', async () => {
    const name = freshName();
    const [a, b] = [await openTracked(name), await openTracked(name)];
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const takenBy = new Map<string, string[]>();
    // Each consumer holds its first job until the other has one too, so the
    // broker must hand the second job to the idle consumer.
    let bothBusy!: () => void;
    const barrier = new Promise<void>((resolve) => (bothBusy = resolve));
    let finished!: () => void;
    const allTaken = new Promise<void>((resolve) => (finished = resolve));
    const handlerFor = (who: string) => async (job: ReceivedJob) => {
      takenBy.set(job.id, [...(takenBy.get(job.id) ?? []), who]);
      const busy = new Set([...takenBy.values()].flat());
      if (busy.size === 2) bothBusy();
      await barrier;
      if (takenBy.size === ids.length) finished();
      return ACK;
    };
    const consumers = [
      await a.consume(handlerFor('a'), { concurrency: 1 }),
      await b.consume(handlerFor('b'), { concurrency: 1 }),
    ];
    for (const id of ids) await a.send({ id, body: bytes(id) });
    await within(allTaken, 30_000, 'all twelve jobs taken');
    await Promise.all(consumers.map((c) => c.stop()));
    expect([...takenBy.keys()].sort()).toEqual([...ids].sort());
    for (const [id, who] of takenBy) expect([id, who.length]).toEqual([id, 1]);
    const counts = ['a', 'b'].map((w) => [...takenBy.values()].filter((v) => v[0] === w).length);
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it('runs up to `concurrency` handlers at once in one consumer', async () => {
    const queue = await openTracked(freshName());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inFlight = 0;
    let threeAtOnce!: () => void;
    const reachedThree = new Promise<void>((resolve) => (threeAtOnce = resolve));
    const consumer = await queue.consume(
      async () => {
        inFlight++;
        if (inFlight === 3) threeAtOnce();
        await gate;
        inFlight--;
        return ACK;
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 5; i++) await queue.send({ id: randomUUID(), body: bytes(`job ${i}`) });
    await within(reachedThree, 20_000, 'three handlers in flight');
    release();
    await consumer.stop();
    expect(inFlight).toBe(0);
  });

  it('retries after the delay as attempt + 1 with the same id and body', async () => {
    const queue = await openTracked(freshName());
    const id = randomUUID();
    // A small delay: the backends round it up to their granularity (1 s on SQS).
    const { handler, all } = collector(3, (job) =>
      job.attempt < 3 ? { kind: 'retry', delayMs: 5 } : ACK,
    );
    const consumer = await queue.consume(handler);
    await queue.send({ id, body: bytes('retry me') });
    const got = await within(all, 30_000, 'three attempts');
    await consumer.stop();
    expect(got.map((j) => [j.id, text(j), j.attempt])).toEqual([
      [id, 'retry me', 1],
      [id, 'retry me', 2],
      [id, 'retry me', 3],
    ]);
  });

  it('dead-letters a job when the handler says so, readable from the DLQ with the reason', async () => {
    const queue = await openTracked(freshName());
    const id = randomUUID();
    const { handler, all } = collector(1, () => ({
      kind: 'dead-letter',
      reason: 'sink answered 410',
    }));
    const consumer = await queue.consume(handler);
    await queue.send({ id, body: bytes('give up on me') });
    await within(all, 20_000, 'the delivery');
    await consumer.stop();
    const letters = await until(async () => {
      const taken = await queue.takeDeadLetters(10);
      return taken.length > 0 ? taken : undefined;
    }, 'a dead letter');
    expect(letters.map((l) => ({ ...l, body: text(l) }))).toEqual([
      { id, body: 'give up on me', reason: 'sink answered 410', attempt: 1 },
    ]);
    expect(await queue.takeDeadLetters(10)).toEqual([]);
  });

  it("dead-letters by the broker's own limit a job whose handler keeps throwing", async () => {
    const queue = await openTracked(freshName(), {
      maxDeliveries: 2,
      // SQS: a job whose handler threw comes back when this runs out.
      visibilityTimeoutSeconds: 1,
    });
    const id = randomUUID();
    const attempts: number[] = [];
    const consumer = await queue.consume(async (job) => {
      attempts.push(job.attempt);
      throw new Error('handler bug');
    });
    await queue.send({ id, body: bytes('poison') });
    const letters = await until(async () => {
      const taken = await queue.takeDeadLetters(10);
      return taken.length > 0 ? taken : undefined;
    }, 'a dead letter');
    await consumer.stop();
    expect(letters.map((l) => [l.id, text(l)])).toEqual([[id, 'poison']]);
    expect(letters[0]!.reason).toMatch(/delivery_limit|redrive policy after 2 receives/);
    expect(attempts).toEqual([1, 2]);
  });

  it('gives a job back, with the same id, when its consumer is SIGKILLed mid-job', async () => {
    const name = freshName();
    const queue = await openTracked(name);
    const id = randomUUID();
    await queue.send({ id, body: bytes('survive a crash') });
    const child = spawn(
      process.execPath,
      [findScript('tools/scripts/run-ts.mjs'), 'libs/work-queue/src/testing/hold-one-job.ts'],
      {
        cwd: findScript('nx.json').replace(/\/nx\.json$/, ''),
        env: { ...process.env, QUEUE_URL: urlFor(name) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const took = await within(
      new Promise<string>((resolve) => {
        child.stdout.on('data', (c: Buffer) => {
          output += c.toString();
          const match = /took (\S+) (\d+)/.exec(output);
          if (match) resolve(`${match[1]} ${match[2]}`);
        });
      }),
      60_000,
      'the child taking the job',
    ).catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}; child output:\n${output}`);
    });
    expect(took).toBe(`${id} 1`);
    child.kill('SIGKILL');
    await exited;

    const { handler, all } = collector(1);
    const consumer = await queue.consume(handler);
    const [again] = await within(all, 30_000, 'the redelivery');
    await consumer.stop();
    expect([again!.id, text(again!), again!.attempt]).toEqual([id, 'survive a crash', 2]);
  });
});

describe('a work queue whose broker does not answer', () => {
  it('fails to open with a clear error, naming the broker without its password (RabbitMQ)', async () => {
    const port = await freePort();
    const opening = createWorkQueue(`amqp://guest:s3cret@127.0.0.1:${port}/?queue=jobs`, {
      connectTimeoutMs: 500,
    });
    await expect(opening).rejects.toThrow(
      new RegExp(
        `RabbitMQ at amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ is unreachable for queue jobs \\(waited 500 ms\\): .*ECONNREFUSED`,
      ),
    );
  });

  it("waits openTimeoutMs for the first connection, not the sends' connectTimeoutMs (RabbitMQ)", async () => {
    const port = await freePort();
    const opening = createWorkQueue(`amqp://127.0.0.1:${port}/?queue=jobs`, {
      connectTimeoutMs: 120_000,
      openTimeoutMs: 300,
    });
    await expect(opening).rejects.toThrow(/is unreachable for queue jobs \(waited 300 ms\)/);
  });

  it('stops opening when its signal aborts (RabbitMQ)', async () => {
    const port = await freePort();
    const abort = new AbortController();
    // Far beyond the test's own timeout: only the abort can end this open in time.
    const opening = createWorkQueue(`amqp://127.0.0.1:${port}/?queue=jobs`, {
      openTimeoutMs: 600_000,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 200);
    await expect(opening).rejects.toThrow('opening work queue jobs was aborted');
  });

  it('does not open with an aborted signal (SQS)', async () => {
    const port = await freePort();
    const abort = new AbortController();
    abort.abort();
    await expect(
      createWorkQueue(`http://127.0.0.1:${port}/000000000000/jobs`, { signal: abort.signal }),
    ).rejects.toThrow(/dead-letter queue: opening was aborted$/);
  });

  it('fails to open with a clear error (SQS)', async () => {
    const port = await freePort();
    await expect(createWorkQueue(`http://127.0.0.1:${port}/000000000000/jobs`)).rejects.toThrow(
      /could not set up SQS queue http:\/\/127\.0\.0\.1:\d+\/000000000000\/jobs and its dead-letter queue/,
    );
  });
});
