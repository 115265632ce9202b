import { createAmqpWorkQueue } from './amqp/create-amqp-work-queue';
import type { DeadLetterReader } from './dead-letter-reader';
import { redactUrl } from './redact-url';
import { createSqsWorkQueue } from './sqs/create-sqs-work-queue';
import { parseSqsQueueUrl } from './sqs/parse-sqs-queue-url';
import type { WorkQueue } from './work-queue';
import type { WorkQueueOptions } from './work-queue-options';

/**
 * The backend QUEUE_URL names: amqp:// or amqps:// → RabbitMQ; an SQS queue
 * URL (http(s)://host[:port]/<account>/<name>, AWS's or ElasticMQ's) → SQS.
 * Resolves once the broker answered and the queues exist, so a service
 * fails at start, not at its first job, when the queue is unreachable.
 */
export async function createWorkQueue(
  queueUrl: string,
  options: WorkQueueOptions = {},
): Promise<WorkQueue & DeadLetterReader> {
  const kind = workQueueKind(queueUrl);
  if (kind === 'amqp') {
    const url = new URL(queueUrl);
    const queueName = url.searchParams.get('queue') ?? options.queueName;
    if (!queueName) {
      throw new Error(
        `${redactUrl(queueUrl)} names no queue: add ?queue=<name> or pass options.queueName`,
      );
    }
    // Ours, not amqplib's: its other query parameters (heartbeat, frameMax…) pass through.
    url.searchParams.delete('queue');
    return createAmqpWorkQueue({
      url: url.toString(),
      queueName,
      logger: options.logger,
      maxDeliveries: options.maxDeliveries,
      connectTimeoutMs: options.connectTimeoutMs,
      openTimeoutMs: options.openTimeoutMs,
      signal: options.signal,
    });
  }
  return createSqsWorkQueue({
    queueUrl,
    logger: options.logger,
    maxDeliveries: options.maxDeliveries,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    waitTimeSeconds: options.waitTimeSeconds,
    signal: options.signal,
  });
}

/** Which backend a queue URL selects; throws, saying what is accepted, for anything else. */
export function workQueueKind(queueUrl: string): 'amqp' | 'sqs' {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    throw new Error(`queue URL ${redactUrl(queueUrl)} is not a URL; ${ACCEPTED}`);
  }
  if (url.protocol === 'amqp:' || url.protocol === 'amqps:') return 'amqp';
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    parseSqsQueueUrl(queueUrl);
    return 'sqs';
  }
  throw new Error(`queue URL ${redactUrl(queueUrl)} has an unsupported scheme; ${ACCEPTED}`);
}

const ACCEPTED =
  'use amqp://user:password@host:5672/vhost?queue=<name> (RabbitMQ) or an SQS queue URL such as ' +
  'http://127.0.0.1:9324/000000000000/<name> (ElasticMQ) or https://sqs.<region>.amazonaws.com/<account>/<name>';
