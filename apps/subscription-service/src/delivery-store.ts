import type { DeliveryMode } from '@switchboard/contracts';

/**
 * What the delivery workers (src/delivery/) read and write about one delivery.
 * The subscription service owns the tables; the workers only go through this,
 * so the schema can change without them.
 *
 * A delivery is one row per (event, matching subscription), created PENDING
 * in the inbox transaction that consumed the event; its id is the job id on
 * the work queue and the id receivers deduplicate by. Every method is
 * idempotent under redelivery: a job delivered twice (a worker crash after the
 * POST) records sensibly twice, and a finished delivery stays finished.
 */
export interface DeliveryStore {
  /**
   * What a worker needs to POST one delivery: the sink, the mode and the
   * signing secret in clear. `undefined` when the delivery id is unknown.
   * A deleted subscription still answers (with `deleted: true`), so the worker
   * can drop the job and say why.
   */
  subscriptionForDelivery(deliveryId: string): Promise<DeliveryTarget | undefined>;

  /**
   * One failed attempt that will be retried: attempts + 1, the status stays
   * PENDING, last_http_status/last_error are this attempt's. Ignored on a
   * delivery that is already DELIVERED or DEAD_LETTERED.
   */
  recordAttempt(deliveryId: string, attempt: AttemptOutcome): Promise<void>;

  /** The sink answered 2xx: DELIVERED, attempts + 1. Ignored when already DELIVERED. */
  markDelivered(deliveryId: string, attempt: AttemptOutcome): Promise<void>;

  /**
   * Given up: DEAD_LETTERED with the reason in last_error, attempts + 1 when
   * `attempt` says an HTTP attempt was made (a job dropped for a deleted
   * subscription made none). Ignored unless PENDING: a delivered one stays
   * delivered, and a second dead-lettering keeps the first reason.
   */
  markDeadLettered(deliveryId: string, reason: string, attempt?: AttemptOutcome): Promise<void>;
}

export interface DeliveryTarget {
  readonly deliveryId: string;
  readonly subscriptionId: string;
  readonly sinkUrl: string;
  /** BINARY or STRUCTURED; UNSPECIFIED is stored as BINARY. */
  readonly mode: DeliveryMode;
  /** The signing secret as CreateSubscription returned it (`whsec_<base64>`). */
  readonly signingSecret: string;
  readonly paused: boolean;
  readonly deleted: boolean;
}

/** What one HTTP attempt came to. */
export interface AttemptOutcome {
  /** The sink's HTTP status; 0 when no answer came (timeout, refused, reset). */
  readonly httpStatus: number;
  /** Why it failed, for ListDeliveries; empty on success. At most 1,000 characters are kept. */
  readonly error?: string;
}
