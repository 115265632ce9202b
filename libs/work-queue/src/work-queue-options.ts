import type { Logger } from '@switchboard/logger';

/** What createWorkQueue passes on to either backend. */
export interface WorkQueueOptions {
  /**
   * The queue's name on RabbitMQ, unless the amqp URL names it with a `queue`
   * query parameter (amqp://host/vhost?queue=deliveries). SQS queue URLs
   * always carry the name, so this is ignored there.
   */
  readonly queueName?: string;
  readonly logger?: Logger;
  /**
   * Deliveries after which the broker dead-letters a job by itself (a handler
   * that keeps crashing), 2 to 1000; default 25. On SQS every retry counts as
   * a delivery, on RabbitMQ only crashes and throws do.
   */
  readonly maxDeliveries?: number;
  /** RabbitMQ: how long sends wait through an outage; default 30 s. */
  readonly connectTimeoutMs?: number;
  /**
   * RabbitMQ: how long opening waits for the broker; default connectTimeoutMs.
   * On SQS the SDK's own retries bound opening (a refused connection fails
   * within a few seconds).
   */
  readonly openTimeoutMs?: number;
  /** Aborts opening (both backends): createWorkQueue rejects promptly and leaves nothing open. */
  readonly signal?: AbortSignal;
  /** SQS: how long a received job stays hidden from other consumers; default 30 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** SQS: long-polling wait, 0 to 20 s; default 20. */
  readonly waitTimeSeconds?: number;
}
