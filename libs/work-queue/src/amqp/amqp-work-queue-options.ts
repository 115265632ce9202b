import type { Logger } from '@switchboard/logger';

export interface AmqpWorkQueueOptions {
  /** amqp://user:password@host:port/vhost (amqplib's URL, without our `queue` parameter). */
  readonly url: string;
  /** The main queue; its delay queues and dead-letter queue are named after it. */
  readonly queueName: string;
  readonly logger?: Logger;
  /**
   * How long `send` (and the first connection) keeps trying while the broker is
   * unreachable before it fails; default 30 s. A send during an outage waits
   * for the reconnect rather than failing at once, so a short broker restart
   * costs latency, not errors.
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long opening waits for the first connection before it rejects;
   * default connectTimeoutMs. A caller that retries opening on its own
   * schedule (a service started before its broker) keeps this short.
   */
  readonly openTimeoutMs?: number;
  /** Aborts opening: the returned promise rejects at once and nothing is left connecting. */
  readonly signal?: AbortSignal;
  /**
   * Deliveries after which the broker itself dead-letters a job whose handler
   * keeps crashing or throwing (a quorum queue's delivery limit), 2 to 1000;
   * default 25. Retries are new messages and do not count here (they do on
   * SQS). The handler's own dead-letter outcome normally comes first. Part of
   * the queue's declaration: changing it for an existing queue fails at start
   * (PRECONDITION_FAILED) until the queue is deleted.
   */
  readonly maxDeliveries?: number;
}
