import { metrics, type Counter } from '@opentelemetry/api';

export interface OrderMetrics {
  /** Orders whose row and OrderPlaced committed. */
  readonly placed: Counter;
  /** Orders that became cancelled, by `reason`: `customer` or `reservation_lapsed`. */
  readonly cancelled: Counter;
}

/**
 * The order domain's counters. Taken when a factory runs, after the service
 * registered its telemetry: a meter taken before that stays a no-op.
 */
export function createOrderMetrics(): OrderMetrics {
  const meter = metrics.getMeter('switchboard/order-service');
  return {
    placed: meter.createCounter('switchboard.orders.placed', {
      description: 'Orders placed (committed), replays of an idempotency key not counted',
      unit: '{order}',
    }),
    cancelled: meter.createCounter('switchboard.orders.cancelled', {
      description: 'Orders cancelled, by the customer or because their reservation lapsed',
      unit: '{order}',
    }),
  };
}
