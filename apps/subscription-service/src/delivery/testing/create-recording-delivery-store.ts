import type { AttemptOutcome, DeliveryStore, DeliveryTarget } from '../../delivery-store';

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'DEAD_LETTERED';

export interface RecordedDelivery {
  status: DeliveryState;
  attempts: number;
  lastHttpStatus: number;
  lastError: string;
}

/**
 * A DeliveryStore in memory for the handler's specs, keeping the rules the
 * interface states (a finished delivery stays finished) and every call, so a
 * spec sees what the worker recorded. The PostgreSQL store is the service's
 * and is tested there.
 */
export interface RecordingDeliveryStore extends DeliveryStore {
  /** Adds a PENDING delivery, as the matcher does before it enqueues the job. */
  add(target: DeliveryTarget): void;
  /** Changes a delivery's subscription, e.g. to paused or deleted. */
  update(deliveryId: string, change: Partial<DeliveryTarget>): void;
  get(deliveryId: string): RecordedDelivery | undefined;
  /** Makes every call throw, as a store whose database is down. */
  failWith(error: Error | undefined): void;
  readonly calls: ReadonlyArray<{ method: string; deliveryId: string; detail?: unknown }>;
}

export function createRecordingDeliveryStore(): RecordingDeliveryStore {
  const targets = new Map<string, DeliveryTarget>();
  const rows = new Map<string, RecordedDelivery>();
  const calls: { method: string; deliveryId: string; detail?: unknown }[] = [];
  let failure: Error | undefined;

  function call(
    method: string,
    deliveryId: string,
    detail?: unknown,
  ): RecordedDelivery | undefined {
    calls.push({ method, deliveryId, ...(detail === undefined ? {} : { detail }) });
    if (failure) throw failure;
    return rows.get(deliveryId);
  }

  function applyAttempt(row: RecordedDelivery, attempt: AttemptOutcome): void {
    row.attempts += 1;
    row.lastHttpStatus = attempt.httpStatus;
    row.lastError = (attempt.error ?? '').slice(0, 1_000);
  }

  return {
    add(target) {
      targets.set(target.deliveryId, target);
      rows.set(target.deliveryId, {
        status: 'PENDING',
        attempts: 0,
        lastHttpStatus: 0,
        lastError: '',
      });
    },
    update(deliveryId, change) {
      const target = targets.get(deliveryId);
      if (!target) throw new Error(`no delivery ${deliveryId}`);
      targets.set(deliveryId, { ...target, ...change });
    },
    get: (deliveryId) => rows.get(deliveryId),
    failWith(error) {
      failure = error;
    },
    calls,
    async subscriptionForDelivery(deliveryId) {
      call('subscriptionForDelivery', deliveryId);
      return targets.get(deliveryId);
    },
    async recordAttempt(deliveryId, attempt) {
      const row = call('recordAttempt', deliveryId, attempt);
      if (row && row.status === 'PENDING') applyAttempt(row, attempt);
    },
    async markDelivered(deliveryId, attempt) {
      const row = call('markDelivered', deliveryId, attempt);
      if (row && row.status !== 'DELIVERED') {
        applyAttempt(row, attempt);
        row.status = 'DELIVERED';
      }
    },
    async markDeadLettered(deliveryId, reason, attempt) {
      const row = call('markDeadLettered', deliveryId, { reason, attempt });
      // Only a PENDING one: a second dead-lettering keeps the first reason.
      if (row && row.status === 'PENDING') {
        if (attempt) applyAttempt(row, attempt);
        row.status = 'DEAD_LETTERED';
        row.lastError = reason.slice(0, 1_000);
      }
    },
  };
}
