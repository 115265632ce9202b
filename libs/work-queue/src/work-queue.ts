/**
 * A work queue: point-to-point jobs taken by competing consumers, each
 * acknowledged on its own, retried after a delay, and dead-lettered when it
 * keeps failing. Kafka is a log (every group reads everything, in order, and
 * a partition waits on its slowest record); a job queue wants the opposite,
 * which is what RabbitMQ and SQS are built for. One interface, two backends
 * (amqp/ and sqs/), chosen by QUEUE_URL.
 */
export interface WorkQueue {
  /**
   * Enqueues a job durably: resolves once the broker has it (a publisher
   * confirm on RabbitMQ, a SendMessage answer on SQS), so a caller that then
   * commits its own progress never loses a job.
   */
  send(job: QueuedJob): Promise<void>;
  /**
   * Starts `concurrency` competing consumers in this process (more processes
   * add more). Each message goes to `handler`, whose outcome decides its fate.
   * A handler that throws, or a process that dies before the outcome, leaves
   * the message to come back (after the visibility timeout on SQS, at once on
   * RabbitMQ when the channel closes), with the same id.
   */
  consume(handler: JobHandler, options?: { concurrency?: number }): Promise<JobConsumer>;
  /** Stops consuming and closes the connection; unacknowledged messages return to the queue. */
  close(): Promise<void>;
}

export interface QueuedJob {
  /** Stable for the job's life: every redelivery and retry carries it. */
  readonly id: string;
  readonly body: Uint8Array;
}

export interface ReceivedJob extends QueuedJob {
  /** 1 on the first delivery; counts every delivery, retries and redeliveries after a crash. */
  readonly attempt: number;
}

export type JobOutcome =
  /** Done: the message is removed. */
  | { readonly kind: 'ack' }
  /** Try again after `delayMs` (back-off, or a Retry-After), as attempt + 1. */
  | { readonly kind: 'retry'; readonly delayMs: number }
  /** Give up: the message moves to the dead-letter queue with `reason`. */
  | { readonly kind: 'dead-letter'; readonly reason: string };

export type JobHandler = (job: ReceivedJob) => Promise<JobOutcome>;

export interface JobConsumer {
  /** Stops taking messages, waits for the handlers in flight, then resolves. */
  stop(): Promise<void>;
}
