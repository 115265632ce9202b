import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
} from 'amqplib';
import { backoffDelay, sleep } from '@switchboard/timing';
import type { DeadLetter, DeadLetterReader } from '../dead-letter-reader';
import { redactUrl } from '../redact-url';
import { retryBucket } from '../retry-bucket';
import type { JobConsumer, JobHandler, QueuedJob, ReceivedJob, WorkQueue } from '../work-queue';
import type { AmqpWorkQueueOptions } from './amqp-work-queue-options';

/** Headers this backend writes; the job id also travels as the AMQP message-id. */
const ATTEMPT_HEADER = 'x-switchboard-attempt';
const REASON_HEADER = 'x-switchboard-dead-letter-reason';
/** Set by quorum queues on a redelivery: how many earlier deliveries were not acknowledged. */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';
const RECONNECT = { initialMs: 100, maxMs: 5_000, jitter: 0.2 } as const;
/** An idle delay queue is deleted after its TTL plus this, so odd delays do not pile up queues. */
const DELAY_QUEUE_IDLE_MS = 10 * 60_000;

/**
 * The RabbitMQ backend.
 *
 * Topology (declared on every connect, idempotent):
 * - `<name>`: a durable quorum queue. Quorum queues replicate and fsync
 *   (classic ones may lose confirmed messages on a crash), and they count
 *   deliveries (x-delivery-count), which gives ReceivedJob.attempt after a
 *   consumer crash; their delivery limit dead-letters a job that kills every
 *   consumer that takes it.
 * - `<name>.dead-letter`: a durable quorum queue for what is given up on.
 * - `<name>.retry.<ms>`: a durable classic queue per delay bucket, whose
 *   queue-wide TTL dead-letters each message back to `<name>` (the standard
 *   TTL + dead-letter-exchange delay, with no plugin). See retryBucket for why
 *   one queue per bucket rather than a per-message TTL in one queue.
 *
 * Sends go through a confirm channel and resolve on the broker's confirm.
 * While the connection is down, a send waits for the reconnect (up to
 * connectTimeoutMs) and a send whose confirm was lost is published again:
 * the job may then arrive twice, with the same id, never zero times.
 * Consumers use manual acks and prefetch = concurrency; messages unacked when
 * a channel or connection dies return to the queue, and consumers re-attach
 * on reconnect.
 */
export async function createAmqpWorkQueue(
  options: AmqpWorkQueueOptions,
): Promise<WorkQueue & DeadLetterReader> {
  const queue = options.queueName;
  const deadLetterQueue = `${queue}.dead-letter`;
  const timeoutMs = options.connectTimeoutMs ?? 30_000;
  const maxDeliveries = options.maxDeliveries ?? 25;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 2 || maxDeliveries > 1_000) {
    throw new RangeError(`maxDeliveries must be an integer from 2 to 1000 (got ${maxDeliveries})`);
  }
  const logger = options.logger;
  const where = redactUrl(options.url);

  let model: ChannelModel | undefined;
  let connecting: Promise<ChannelModel> | undefined;
  let publisher: Promise<ConfirmChannel> | undefined;
  let closed = false;
  const closing = new AbortController();
  const consumers = new Set<AmqpConsumer>();

  async function declareTopology(m: ChannelModel): Promise<void> {
    const ch = await m.createChannel();
    ch.on('error', () => {});
    try {
      await ch.assertQueue(deadLetterQueue, {
        durable: true,
        arguments: { 'x-queue-type': 'quorum' },
      });
      await ch.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          // The limit counts returns after the first delivery: N - 1 of them make N deliveries.
          'x-delivery-limit': maxDeliveries - 1,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': deadLetterQueue,
        },
      });
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** Why the last connection attempt failed, for the error a waiting caller gets. */
  let lastConnectError: unknown;

  /** Connects (retrying with back-off until it works or the queue closes) unless already under way. */
  function startConnecting(): Promise<ChannelModel> {
    if (!connecting) {
      const attempt = connectUntilUp().finally(() => {
        if (connecting === attempt) connecting = undefined;
      });
      attempt.catch(() => {});
      connecting = attempt;
    }
    return connecting;
  }

  async function connectUntilUp(): Promise<ChannelModel> {
    for (let attempt = 1; ; attempt++) {
      if (closed) throw new Error(`work queue ${queue} is closed`);
      let m: ChannelModel | undefined;
      try {
        // amqplib leaves Nagle's algorithm on; a publish then waits for the
        // broker's delayed ACK of the previous frame, about 40 ms each.
        m = await connect(options.url, { noDelay: true });
        m.on('error', (err: Error) => logger?.warn({ err, queue }, 'RabbitMQ connection error'));
        await declareTopology(m);
        // Closed (or the open given up) while this attempt was under way: the
        // catch below closes this connection instead of keeping it.
        if (closed) throw new Error(`work queue ${queue} is closed`);
        const current = m;
        m.on('close', () => onConnectionLost(current));
        model = m;
        if (attempt > 1) logger?.info({ queue, broker: where }, 'RabbitMQ connection restored');
        for (const consumer of consumers) consumer.attach(m);
        return m;
      } catch (err) {
        await m?.close().catch(() => {});
        lastConnectError = err;
        if (attempt === 1 || attempt % 20 === 0) {
          logger?.warn({ queue, broker: where, err }, 'RabbitMQ unreachable; retrying');
        }
        await sleep(backoffDelay(RECONNECT, attempt), closing.signal);
      }
    }
  }

  function onConnectionLost(lost: ChannelModel): void {
    if (model !== lost) return;
    model = undefined;
    publisher = undefined;
    if (closed) return;
    logger?.warn({ queue, broker: where }, 'RabbitMQ connection lost; reconnecting');
    // Reconnects in the background for the consumers; sends wait on the same promise.
    void startConnecting();
  }

  /** The live connection, or the one being made; fails at `deadline`, after waiting `waitMs`. */
  async function connection(deadline: number, waitMs = timeoutMs): Promise<ChannelModel> {
    if (model) return model;
    const waiting = startConnecting();
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        waiting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `RabbitMQ at ${where} is unreachable for queue ${queue} (waited ${waitMs} ms): ` +
                    errorText(lastConnectError ?? 'no answer'),
                ),
              ),
            Math.max(0, left),
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function confirmChannel(deadline: number): Promise<ConfirmChannel> {
    const m = await connection(deadline);
    if (!publisher) {
      const opening = m.createConfirmChannel().then((ch) => {
        ch.on('error', (err: Error) =>
          logger?.warn({ err, queue }, 'RabbitMQ publish channel error'),
        );
        ch.on('close', () => {
          if (publisher === opening) publisher = undefined;
        });
        return ch;
      });
      publisher = opening;
      opening.catch(() => {
        if (publisher === opening) publisher = undefined;
      });
    }
    return publisher;
  }

  /**
   * Publishes to `target` and resolves on the broker's confirm, publishing
   * again through outages and lost confirms until the deadline.
   */
  async function publish(
    target: string,
    id: string,
    body: Uint8Array,
    headers: Record<string, unknown>,
    queueArguments?: Record<string, unknown>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        const ch = await confirmChannel(deadline);
        if (queueArguments)
          await ch.assertQueue(target, { durable: true, arguments: queueArguments });
        await new Promise<void>((resolve, reject) => {
          ch.sendToQueue(
            target,
            Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            { persistent: true, messageId: id, headers },
            (err: unknown) =>
              err
                ? reject(err instanceof Error ? err : new Error('nacked by the broker'))
                : resolve(),
          );
        });
        return;
      } catch (err) {
        lastError = err;
        if (closed) throw new Error(`work queue ${queue} is closed; job ${id} not sent`);
        if (Date.now() >= deadline) break;
        await sleep(backoffDelay(RECONNECT, attempt), closing.signal);
      }
    }
    throw new Error(
      `RabbitMQ did not confirm job ${id} for ${target} within ${timeoutMs} ms: ${errorText(lastError)}`,
    );
  }

  class AmqpConsumer implements JobConsumer {
    private channel: Channel | undefined;
    /** The connection this consumer is attached (or attaching) to: never twice to the same one. */
    private attachedTo: ChannelModel | undefined;
    private stopped = false;
    private readonly inFlight = new Set<Promise<void>>();

    constructor(
      private readonly handler: JobHandler,
      private readonly concurrency: number,
    ) {}

    /** Opens a channel on `m` and starts consuming; on failure the next reconnect retries. */
    attach(m: ChannelModel): void {
      if (this.stopped || this.attachedTo === m) return;
      void this.open(m).catch((err: unknown) => {
        if (this.attachedTo === m) this.attachedTo = undefined;
        logger?.warn({ err, queue }, 'could not start consuming; retrying on reconnect');
      });
    }

    async start(m: ChannelModel): Promise<void> {
      if (this.attachedTo === m) return;
      try {
        await this.open(m);
      } catch (err) {
        if (this.attachedTo === m) this.attachedTo = undefined;
        throw err;
      }
    }

    private async open(m: ChannelModel): Promise<void> {
      this.attachedTo = m;
      const ch = await m.createChannel();
      ch.on('error', (err: Error) =>
        logger?.warn({ err, queue }, 'RabbitMQ consumer channel error'),
      );
      ch.on('close', () => {
        if (this.channel !== ch) return;
        this.channel = undefined;
        this.attachedTo = undefined;
        // A channel closed by the broker on a live connection (not by a lost
        // connection, which re-attaches every consumer) is reopened here.
        if (!this.stopped && !closed && model === m)
          setImmediate(() => model === m && this.attach(m));
      });
      await ch.prefetch(this.concurrency);
      this.channel = ch;
      await ch.consume(
        queue,
        // Once stopping, a message still arriving is left unacknowledged: it
        // returns to the queue when the channel closes.
        (msg) => msg && !this.stopped && this.track(this.handle(ch, msg)),
        { noAck: false },
      );
    }

    private track(work: Promise<void>): void {
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }

    private async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
      const headers = msg.properties.headers ?? {};
      const job: ReceivedJob = {
        id: String(msg.properties.messageId ?? ''),
        body: new Uint8Array(msg.content),
        attempt: attemptOf(msg),
      };
      let outcome;
      try {
        outcome = await this.handler(job);
      } catch (err) {
        logger?.warn(
          { err, queue, jobId: job.id },
          'job handler threw; the job goes back to the queue',
        );
        safely(() => ch.nack(msg, false, true));
        return;
      }
      try {
        if (outcome.kind === 'retry') {
          const delayMs = retryBucket(outcome.delayMs);
          const next = { [ATTEMPT_HEADER]: job.attempt + 1 };
          if (delayMs === 0) await publish(queue, job.id, job.body, next);
          else
            await publish(
              `${queue}.retry.${delayMs}`,
              job.id,
              job.body,
              next,
              delayQueueArguments(delayMs),
            );
        } else if (outcome.kind === 'dead-letter') {
          await publish(deadLetterQueue, job.id, job.body, {
            [ATTEMPT_HEADER]: job.attempt,
            [REASON_HEADER]: outcome.reason,
          });
        }
        ch.ack(msg);
      } catch (err) {
        // Not acknowledged: the job stays on the main queue and comes back.
        logger?.warn(
          { err, queue, jobId: job.id, headers },
          'could not settle a job; it will be redelivered',
        );
        safely(() => ch.nack(msg, false, true));
      }
    }

    async stop(): Promise<void> {
      if (this.stopped) return;
      this.stopped = true;
      consumers.delete(this);
      const ch = this.channel;
      this.channel = undefined;
      // Closing the channel cancels the consumer; unacked prefetched messages
      // go back to the queue. Handlers in flight finish first so their acks land.
      await Promise.allSettled([...this.inFlight]);
      await ch?.close().catch(() => {});
    }
  }

  function delayQueueArguments(delayMs: number): Record<string, unknown> {
    return {
      'x-queue-type': 'classic',
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
      'x-expires': delayMs + DELAY_QUEUE_IDLE_MS,
    };
  }

  const openTimeoutMs = options.openTimeoutMs ?? timeoutMs;
  const giveUp = () => {
    // Ends the reconnect loop the first attempt started.
    closed = true;
    closing.abort();
  };
  options.signal?.addEventListener('abort', giveUp, { once: true });
  try {
    if (options.signal?.aborted) giveUp();
    await connection(Date.now() + openTimeoutMs, openTimeoutMs);
  } catch (err) {
    giveUp();
    if (options.signal?.aborted) throw new Error(`opening work queue ${queue} was aborted`);
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', giveUp);
  }

  return {
    async send(job: QueuedJob): Promise<void> {
      if (closed) throw new Error(`work queue ${queue} is closed; job ${job.id} not sent`);
      await publish(queue, job.id, job.body, { [ATTEMPT_HEADER]: 1 });
    },

    async consume(
      handler: JobHandler,
      consumeOptions?: { concurrency?: number },
    ): Promise<JobConsumer> {
      const concurrency = consumeOptions?.concurrency ?? 1;
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_535) {
        throw new RangeError(`concurrency must be an integer from 1 to 65535 (got ${concurrency})`);
      }
      if (closed) throw new Error(`work queue ${queue} is closed`);
      const consumer = new AmqpConsumer(handler, concurrency);
      consumers.add(consumer);
      try {
        await consumer.start(await connection(Date.now() + timeoutMs));
      } catch (err) {
        consumers.delete(consumer);
        throw err;
      }
      return consumer;
    },

    async takeDeadLetters(max: number): Promise<DeadLetter[]> {
      const m = await connection(Date.now() + timeoutMs);
      const ch = await m.createChannel();
      ch.on('error', () => {});
      const taken: DeadLetter[] = [];
      try {
        while (taken.length < max) {
          const msg = await ch.get(deadLetterQueue, { noAck: false });
          if (msg === false) break;
          const headers = msg.properties.headers ?? {};
          taken.push({
            id: String(msg.properties.messageId ?? ''),
            body: new Uint8Array(msg.content),
            reason: String(headers[REASON_HEADER] ?? brokerReason(headers)),
            attempt: Number(headers[ATTEMPT_HEADER] ?? attemptOf(msg)),
          });
          ch.ack(msg);
        }
      } finally {
        await ch.close().catch(() => {});
      }
      return taken;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      closing.abort();
      await Promise.allSettled([...consumers].map((c) => c.stop()));
      const m = model;
      model = undefined;
      await m?.close().catch(() => {});
    },
  };
}

/** 1 + the retries this job went through + the deliveries a crash or a throw cost. */
function attemptOf(
  msg:
    ConsumeMessage | { properties: ConsumeMessage['properties']; fields: { redelivered: boolean } },
): number {
  const headers = msg.properties.headers ?? {};
  const base = Number(headers[ATTEMPT_HEADER]) || 1;
  const delivered = headers[DELIVERY_COUNT_HEADER];
  // Classic queues (a queue declared by someone else) only say "redelivered".
  const earlier =
    delivered === undefined ? (msg.fields.redelivered ? 1 : 0) : Number(delivered) || 0;
  return base + earlier;
}

/** The reason RabbitMQ recorded when it dead-lettered by itself (x-death), e.g. delivery_limit. */
function brokerReason(headers: Record<string, unknown>): string {
  const deaths = headers['x-death'];
  const first = Array.isArray(deaths) ? (deaths[0] as { reason?: unknown } | undefined) : undefined;
  return `dead-lettered by the broker: ${String(first?.reason ?? 'unknown reason')}`;
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    // The channel is gone; the broker returns the message by itself.
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
