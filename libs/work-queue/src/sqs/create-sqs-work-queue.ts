import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { backoffDelay, sleep } from '@switchboard/timing';
import type { DeadLetter, DeadLetterReader } from '../dead-letter-reader';
import { redactUrl } from '../redact-url';
import type { JobConsumer, JobHandler, QueuedJob, ReceivedJob, WorkQueue } from '../work-queue';
import { parseSqsQueueUrl } from './parse-sqs-queue-url';
import type { SqsWorkQueueOptions } from './sqs-work-queue-options';

const JOB_ID = 'switchboard-job-id';
const REASON = 'switchboard-dead-letter-reason';
const ATTEMPT = 'switchboard-attempt';
/** SQS bodies are text; a body that is not valid UTF-8 XML text travels as base64. */
const ENCODING = 'switchboard-body-encoding';
/** The longest visibility timeout SQS accepts: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;
const POLL_BACKOFF = { initialMs: 200, maxMs: 10_000, jitter: 0.2 } as const;
// Characters SQS accepts in a message body (XML 1.0 text).
const SQS_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * The SQS backend (also ElasticMQ).
 *
 * - Creates `<name>-dead-letter` and `<name>` if missing and sets the main
 *   queue's redrive policy to the dead-letter queue (maxDeliveries receives).
 * - Consumers long-poll (`waitTimeSeconds`), one receive per concurrency slot,
 *   so `concurrency` handlers run at most and none holds a job it has not
 *   started (a buffered job's visibility timeout would tick while it waits).
 * - ack deletes; retry sets the message's visibility to the delay (whole
 *   seconds, rounded up: SQS's granularity), so it comes back as the next
 *   receive, attempt = ApproximateReceiveCount; dead-letter sends to the
 *   dead-letter queue with the reason, then deletes.
 * - While a handler runs, its job's visibility is extended every half
 *   timeout, so only a dead process (or a handler that throws) lets the job
 *   come back: after the visibility timeout, with the same id.
 */
export async function createSqsWorkQueue(
  options: SqsWorkQueueOptions,
): Promise<WorkQueue & DeadLetterReader> {
  const target = parseSqsQueueUrl(options.queueUrl);
  const logger = options.logger;
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const maxDeliveries = options.maxDeliveries ?? 25;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 2 || maxDeliveries > 1_000) {
    throw new RangeError(`maxDeliveries must be an integer from 2 to 1000 (got ${maxDeliveries})`);
  }
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new RangeError(
      `waitTimeSeconds must be an integer from 0 to 20 (got ${waitTimeSeconds})`,
    );
  }
  if (!Number.isInteger(visibility) || visibility < 0 || visibility > MAX_VISIBILITY_SECONDS) {
    throw new RangeError(
      `visibilityTimeoutSeconds must be an integer from 0 to ${MAX_VISIBILITY_SECONDS} (got ${visibility})`,
    );
  }
  const client = new SQSClient({
    region:
      target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
  });
  const queueUrl = options.queueUrl;
  const deadLetterUrl = `${target.base}/${target.name}-dead-letter`;
  const consumers = new Set<SqsConsumer>();
  let closed = false;

  const setup = { abortSignal: options.signal };
  try {
    await client.send(new CreateQueueCommand({ QueueName: `${target.name}-dead-letter` }), setup);
    const dlq = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
      setup,
    );
    await client.send(new CreateQueueCommand({ QueueName: target.name }), setup);
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          VisibilityTimeout: String(visibility),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.Attributes?.QueueArn,
            maxReceiveCount: String(maxDeliveries),
          }),
        },
      }),
      setup,
    );
  } catch (err) {
    client.destroy();
    const why = options.signal?.aborted ? 'opening was aborted' : errorText(err);
    throw new Error(
      `could not set up SQS queue ${redactUrl(queueUrl)} and its dead-letter queue: ${why}`,
    );
  }

  class SqsConsumer implements JobConsumer {
    private readonly abort = new AbortController();
    private readonly loops: Promise<void>[] = [];

    constructor(
      private readonly handler: JobHandler,
      concurrency: number,
    ) {
      for (let i = 0; i < concurrency; i++) this.loops.push(this.poll());
    }

    private async poll(): Promise<void> {
      let failures = 0;
      while (!this.abort.signal.aborted) {
        let messages: Message[];
        try {
          const received = await client.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 1,
              WaitTimeSeconds: waitTimeSeconds,
              VisibilityTimeout: visibility,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
              MessageAttributeNames: ['All'],
            }),
            { abortSignal: this.abort.signal },
          );
          messages = received.Messages ?? [];
          failures = 0;
        } catch (err) {
          if (this.abort.signal.aborted) return;
          failures++;
          if (failures === 1 || failures % 20 === 0) {
            logger?.warn({ err, queue: target.name }, 'SQS receive failed; retrying');
          }
          await sleep(backoffDelay(POLL_BACKOFF, failures), this.abort.signal);
          continue;
        }
        for (const message of messages) await this.handle(message);
      }
    }

    private async handle(message: Message): Promise<void> {
      const job: ReceivedJob = {
        id: message.MessageAttributes?.[JOB_ID]?.StringValue ?? message.MessageId ?? '',
        body: decodeBody(message),
        attempt: Number(message.Attributes?.ApproximateReceiveCount) || 1,
      };
      let outcome;
      // While the handler runs, keep the job hidden: a slow handler must not
      // see its job handed to another consumer halfway through.
      const keepHidden =
        visibility >= 2
          ? setInterval(
              () => {
                client
                  .send(
                    new ChangeMessageVisibilityCommand({
                      QueueUrl: queueUrl,
                      ReceiptHandle: message.ReceiptHandle,
                      VisibilityTimeout: visibility,
                    }),
                  )
                  .catch((err: unknown) =>
                    logger?.warn(
                      { err, queue: target.name, jobId: job.id },
                      'could not extend visibility',
                    ),
                  );
              },
              (visibility * 1000) / 2,
            )
          : undefined;
      try {
        outcome = await this.handler(job);
      } catch (err) {
        logger?.warn(
          { err, queue: target.name, jobId: job.id },
          'job handler threw; the job comes back after its visibility timeout',
        );
        return;
      } finally {
        clearInterval(keepHidden);
      }
      try {
        if (outcome.kind === 'retry') {
          const seconds = Math.min(
            MAX_VISIBILITY_SECONDS,
            Math.max(0, Math.ceil(outcome.delayMs / 1000) || 0),
          );
          await client.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: queueUrl,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: seconds,
            }),
          );
          return;
        }
        if (outcome.kind === 'dead-letter') {
          await client.send(
            new SendMessageCommand({
              QueueUrl: deadLetterUrl,
              MessageBody: message.Body ?? '',
              MessageAttributes: {
                ...jobAttributes(job.id, message.MessageAttributes?.[ENCODING]?.StringValue),
                [REASON]: {
                  DataType: 'String',
                  StringValue: outcome.reason || '(no reason given)',
                },
                [ATTEMPT]: { DataType: 'Number', StringValue: String(job.attempt) },
              },
            }),
          );
        }
        await client.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      } catch (err) {
        logger?.warn(
          { err, queue: target.name, jobId: job.id },
          'could not settle a job; it comes back after its visibility timeout',
        );
      }
    }

    async stop(): Promise<void> {
      consumers.delete(this);
      this.abort.abort();
      await Promise.allSettled(this.loops);
    }
  }

  return {
    async send(job: QueuedJob): Promise<void> {
      if (closed) throw new Error(`work queue ${target.name} is closed; job ${job.id} not sent`);
      if (job.body.byteLength === 0)
        throw new Error(`job ${job.id} has an empty body, which SQS refuses`);
      const { body, encoding } = encodeBody(job.body);
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: body,
            MessageAttributes: jobAttributes(job.id, encoding),
          }),
        );
      } catch (err) {
        throw new Error(`SQS did not take job ${job.id} for ${target.name}: ${errorText(err)}`);
      }
    },

    async consume(
      handler: JobHandler,
      consumeOptions?: { concurrency?: number },
    ): Promise<JobConsumer> {
      const concurrency = consumeOptions?.concurrency ?? 1;
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1_000) {
        throw new RangeError(`concurrency must be an integer from 1 to 1000 (got ${concurrency})`);
      }
      if (closed) throw new Error(`work queue ${target.name} is closed`);
      const consumer = new SqsConsumer(handler, concurrency);
      consumers.add(consumer);
      return consumer;
    },

    async takeDeadLetters(max: number): Promise<DeadLetter[]> {
      const taken: DeadLetter[] = [];
      while (taken.length < max) {
        const received = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: deadLetterUrl,
            MaxNumberOfMessages: Math.min(10, max - taken.length),
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) break;
        for (const message of messages) {
          const attributes = message.MessageAttributes ?? {};
          taken.push({
            id: attributes[JOB_ID]?.StringValue ?? message.MessageId ?? '',
            body: decodeBody(message),
            reason:
              attributes[REASON]?.StringValue ??
              `moved by the redrive policy after ${maxDeliveries} receives`,
            attempt: Number(attributes[ATTEMPT]?.StringValue) || maxDeliveries,
          });
          await client.send(
            new DeleteMessageCommand({
              QueueUrl: deadLetterUrl,
              ReceiptHandle: message.ReceiptHandle,
            }),
          );
        }
      }
      return taken;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...consumers].map((c) => c.stop()));
      client.destroy();
    },
  };
}

function jobAttributes(
  id: string,
  encoding: string | undefined,
): Record<string, MessageAttributeValue> {
  return {
    [JOB_ID]: { DataType: 'String', StringValue: id },
    ...(encoding ? { [ENCODING]: { DataType: 'String', StringValue: encoding } } : {}),
  };
}

function encodeBody(body: Uint8Array): { body: string; encoding?: string } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    if (SQS_TEXT.test(text) && text.length > 0) return { body: text };
  } catch {
    // not UTF-8: base64 below
  }
  return { body: Buffer.from(body).toString('base64'), encoding: 'base64' };
}

function decodeBody(message: Message): Uint8Array {
  const body = message.Body ?? '';
  if (message.MessageAttributes?.[ENCODING]?.StringValue === 'base64') {
    return new Uint8Array(Buffer.from(body, 'base64'));
  }
  return new TextEncoder().encode(body);
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
