import { metrics, type Counter, type Histogram } from '@opentelemetry/api';

export type DeliveryOutcomeName = 'delivered' | 'retried' | 'dead_lettered' | 'dropped';

export interface DeliveryMetrics {
  /** Jobs handled, by `outcome`: delivered, retried, dead_lettered or dropped. */
  readonly jobs: Counter<{ outcome: DeliveryOutcomeName }>;
  /** One POST to a sink, from sending to its answer (or giving up on one), by `outcome`. */
  readonly attemptDuration: Histogram<{ outcome: DeliveryOutcomeName }>;
  /** From the event's time to the sink's 2xx: what a subscriber waits, retries included. */
  readonly lag: Histogram;
}

/**
 * The delivery workers' instruments. Taken when the handler is created, after
 * the service registered its telemetry: a meter taken before that stays a no-op.
 */
export function createDeliveryMetrics(): DeliveryMetrics {
  const meter = metrics.getMeter('switchboard/subscription-service');
  return {
    jobs: meter.createCounter('switchboard.subscription.delivery.jobs', {
      description: 'Delivery jobs handled, by outcome',
      unit: '{job}',
    }),
    attemptDuration: meter.createHistogram('switchboard.subscription.delivery.attempt.duration', {
      description: 'One POST to a sink, until its answer or the timeout',
      unit: 'ms',
    }),
    lag: meter.createHistogram('switchboard.subscription.delivery.lag', {
      description: "From the event's time to the sink's 2xx",
      unit: 'ms',
    }),
  };
}
