import type { Logger } from '@switchboard/logger';
import { backoffDelay, type Backoff, type Clock } from '@switchboard/timing';
import type { JobHandler, JobOutcome, ReceivedJob } from '@switchboard/work-queue';
import type { AttemptOutcome, DeliveryStore } from '../delivery-store';
import type { ResolveHost } from '../sinks/check-sink-url';
import { buildCloudEventRequest } from './build-cloud-event-request';
import {
  createDeliveryMetrics,
  type DeliveryMetrics,
  type DeliveryOutcomeName,
} from './delivery-metrics';
import type { DeliveryJob } from '../delivery-job';
import { parseDeliveryJob } from './parse-delivery-job';
import { traceDeliveryAttempt, tracePost } from './delivery-tracing';
import { parseRetryAfter } from './parse-retry-after';
import { createSinkConnections, postToSink, type SinkAnswer } from './post-to-sink';
import { signWebhook } from './sign-webhook';

export interface DeliveryHandlerOptions {
  readonly store: DeliveryStore;
  /** Signature timestamps, Retry-After dates and the request timeout. */
  readonly clock: Clock;
  /**
   * SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: whether a sink may be on loopback or a
   * private network (development and tests only). Link-local and metadata
   * addresses are refused always, checked as each connection is made.
   */
  readonly allowLoopbackSinks: boolean;
  /** Replaces DNS, for tests whose sink names cannot be arranged. */
  readonly resolve?: ResolveHost;
  /** PEM CAs that replace the system's for https sinks: sinks behind a private CA, and tests. */
  readonly sinkCa?: string | Buffer;
  /** One attempt's budget, from connecting to the sink's answer. */
  readonly timeoutMs: number;
  /** Attempts (HTTP POSTs and redeliveries alike) before a delivery is dead-lettered. */
  readonly maxAttempts: number;
  /** Between retries; the jitter is full unless set, so sinks that failed together are not hit together again. */
  readonly backoff: Backoff;
  /** The longest a sink's Retry-After may hold a delivery back (default 15 minutes, SQS's longest delay). */
  readonly retryAfterMaxMs?: number;
  /** [0, 1), for the jitter; tests pin it. */
  readonly random?: () => number;
  readonly logger: Logger;
  /** The global meter's instruments unless a test brings its own. */
  readonly metrics?: DeliveryMetrics;
}

export const DEFAULT_RETRY_AFTER_MAX_MS = 900_000;
const USER_AGENT = 'switchboard-subscription-service';
const MAX_REASON_LENGTH = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The delivery worker's job handler: one job is one signed POST of one event
 * to one subscription's sink, and what the sink says decides the job's fate.
 *
 * - 2xx: delivered, acknowledged.
 * - 408, 429, 5xx, no answer or too slow: retried after an exponential
 *   back-off with full jitter, or after the sink's Retry-After, until
 *   maxAttempts; then dead-lettered.
 * - any other 4xx: dead-lettered at once, since asking again gets the same answer.
 * - 3xx: dead-lettered at once; redirects are never followed (SSRF).
 * - a sink whose name now resolves to a link-local, metadata or (unless
 *   allowed) loopback or private address: dead-lettered unsent (DNS rebinding).
 * - a deleted or paused subscription: dropped (acknowledged, recorded).
 * - a job that is not the agreed JSON: dead-lettered with what is wrong.
 *
 * Every attempt is recorded through the store. The delivery id, and so the
 * webhook-id header, is the same on every attempt: a worker that dies after
 * the POST and before the ack makes the queue deliver again, and the sink
 * sees the same id twice and keeps one.
 */
export function createDeliveryHandler(options: DeliveryHandlerOptions): JobHandler {
  const { store, clock, logger, timeoutMs, maxAttempts } = options;
  const connections = createSinkConnections({
    allowLoopback: options.allowLoopbackSinks,
    resolve: options.resolve,
    ca: options.sinkCa,
  });
  const random = options.random ?? Math.random;
  const backoff: Backoff = { ...options.backoff, jitter: options.backoff.jitter ?? 'full' };
  const retryAfterMaxMs = options.retryAfterMaxMs ?? DEFAULT_RETRY_AFTER_MAX_MS;
  const meters = options.metrics ?? createDeliveryMetrics();
  const count = (outcome: DeliveryOutcomeName) => meters.jobs.add(1, { outcome });
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be a whole number >= 1 (got ${maxAttempts})`);
  }
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0 (got ${timeoutMs})`);

  function retryIn(delayMs: number): JobOutcome {
    return { kind: 'retry', delayMs: Math.max(0, Math.round(delayMs)) };
  }

  function deadLetter(reason: string): JobOutcome {
    return { kind: 'dead-letter', reason: clip(reason) };
  }

  async function giveUp(
    deliveryId: string,
    reason: string,
    attempt?: AttemptOutcome,
  ): Promise<JobOutcome> {
    await store.markDeadLettered(deliveryId, clip(reason), attempt);
    count('dead_lettered');
    logger.info({ deliveryId, reason }, 'delivery dead-lettered');
    return deadLetter(reason);
  }

  async function drop(deliveryId: string, reason: string): Promise<JobOutcome> {
    await store.markDeadLettered(deliveryId, reason);
    count('dropped');
    logger.info({ deliveryId, reason }, 'delivery dropped');
    return { kind: 'ack' };
  }

  async function deliver(job: DeliveryJob, attempt: number): Promise<JobOutcome> {
    const { deliveryId, subscriptionId, event } = job;
    const target = await store.subscriptionForDelivery(deliveryId);
    // Nothing to record against: the queue's dead-letter queue keeps the job for inspection.
    if (target === undefined) {
      count('dead_lettered');
      return deadLetter(`unknown delivery ${deliveryId}`);
    }
    if (target.subscriptionId !== subscriptionId) {
      return giveUp(
        deliveryId,
        `the job names subscription ${subscriptionId}, but delivery ${deliveryId} belongs to ${target.subscriptionId}`,
      );
    }
    if (target.deleted) {
      return drop(deliveryId, 'dropped: the subscription was deleted before delivery');
    }
    if (target.paused) {
      return drop(
        deliveryId,
        'dropped: the subscription is paused (events while paused are not delivered)',
      );
    }
    if (attempt > maxAttempts) {
      // Redeliveries after crashes count too: a job that keeps killing its worker stops here.
      return giveUp(deliveryId, `gave up: delivered to workers ${attempt - 1} times already`);
    }

    const request = buildCloudEventRequest(event, target.mode);
    let signature: Record<string, string>;
    try {
      signature = signWebhook({
        secret: target.signingSecret,
        id: deliveryId,
        timestampSeconds: Math.floor(clock.now() / 1_000),
        body: request.body,
      });
    } catch (err) {
      return giveUp(deliveryId, `cannot sign the delivery: ${(err as Error).message}`);
    }
    const sentAt = clock.now();
    const answer = await tracePost(
      target.sinkUrl,
      { ...request.headers, ...signature, 'user-agent': USER_AGENT },
      (headers) =>
        postToSink({
          url: target.sinkUrl,
          headers,
          body: request.body,
          timeoutMs,
          clock,
          connections,
        }),
    );

    const took = (outcome: DeliveryOutcomeName) =>
      meters.attemptDuration.record(clock.now() - sentAt, { outcome });

    if (answer.answered && answer.status >= 200 && answer.status < 300) {
      await store.markDelivered(deliveryId, { httpStatus: answer.status });
      took('delivered');
      count('delivered');
      const eventTime = event.time === undefined ? NaN : Date.parse(event.time);
      if (!Number.isNaN(eventTime)) meters.lag.record(Math.max(0, clock.now() - eventTime));
      logger.debug({ deliveryId, attempt, status: answer.status }, 'delivered');
      return { kind: 'ack' };
    }
    if ('refused' in answer) {
      // Policy, not a fault: asking again would be refused again.
      const reason = `not sent: ${answer.refused}; sinks must be public endpoints`;
      took('dead_lettered');
      return giveUp(deliveryId, reason, { httpStatus: 0, error: reason });
    }
    const httpStatus = answer.answered ? answer.status : 0;
    const error = describe(answer);
    if (answer.answered && !isRetriable(answer.status)) {
      const why =
        answer.status >= 300 && answer.status < 400 ? 'redirects are not followed' : 'not retried';
      took('dead_lettered');
      return giveUp(deliveryId, `${error}; ${why}`, { httpStatus, error });
    }
    if (attempt >= maxAttempts) {
      took('dead_lettered');
      return giveUp(deliveryId, `gave up after ${attempt} attempts: ${error}`, {
        httpStatus,
        error,
      });
    }
    const askedMs = answer.answered ? parseRetryAfter(answer.retryAfter, clock.now()) : undefined;
    const delayMs =
      askedMs === undefined
        ? backoffDelay(backoff, attempt, random)
        : Math.min(askedMs, retryAfterMaxMs);
    await store.recordAttempt(deliveryId, { httpStatus, error });
    took('retried');
    count('retried');
    logger.debug({ deliveryId, attempt, httpStatus, error, delayMs }, 'delivery will be retried');
    return retryIn(delayMs);
  }

  return async (received: ReceivedJob) => {
    const parsed = parseDeliveryJob(received.body);
    if (!parsed.ok) {
      logger.warn({ jobId: received.id, problem: parsed.problem }, 'malformed delivery job');
      count('dead_lettered');
      // The job id is the delivery id: when it is one, ListDeliveries shows why it failed.
      if (UUID.test(received.id)) {
        await store.markDeadLettered(received.id, clip(parsed.problem)).catch((err: unknown) => {
          logger.warn({ jobId: received.id, err }, 'could not record a malformed job');
        });
      }
      return deadLetter(parsed.problem);
    }
    const { job } = parsed;
    try {
      return await traceDeliveryAttempt(job, received, () => deliver(job, received.attempt));
    } catch (err) {
      // The store (PostgreSQL) failed, not the sink: the job waits for it as it
      // would for a sink, and is never acknowledged without its record.
      const error = `the delivery store failed: ${(err as Error).message}`;
      logger.warn({ deliveryId: job.deliveryId, err }, 'delivery store failed');
      if (received.attempt >= maxAttempts) {
        count('dead_lettered');
        return deadLetter(`gave up after ${received.attempt} attempts: ${error}`);
      }
      count('retried');
      return retryIn(backoffDelay(backoff, received.attempt, random));
    }
  };
}

/** 408 and 429 say "not now", and a 5xx is the sink's own trouble: all worth asking again. */
function isRetriable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function describe(answer: Exclude<SinkAnswer, { refused: string }>): string {
  if (!answer.answered) return answer.error;
  const said = answer.excerpt ? `: ${answer.excerpt}` : '';
  if (answer.status >= 300 && answer.status < 400) {
    return `the sink answered ${answer.status}${answer.location ? ` (to ${answer.location})` : ''}`;
  }
  return `the sink answered ${answer.status}${said}`;
}

function clip(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 3)}...` : text;
}
