import type { Timestamp } from '@bufbuild/protobuf/wkt';
import {
  OrderCancelledSchema,
  OrderPlacedSchema,
  ProductUpsertedSchema,
  UserRegisteredSchema,
} from '@switchboard/contracts';
import { on, onBatch, type Subscription } from '@switchboard/event-bus';
import { InvalidEventError } from './invalid-event-error';
import { recordCustomerName, recordProductName } from './record-names';
import { recordOrderCancelled, recordOrdersPlaced } from './record-order';
import { readOrderEvent } from './read-order-event';
import type { ReportingDatabase } from './reporting-schema';
import { isValidTimestamp, timestampToMicrosIso } from './timestamp-micros';

/** The consumer group every replica joins, so Kafka splits the partitions between them. */
export const REPORTING_GROUP_ID = 'reporting-service';

export interface ReportingSubscriptionOptions {
  /** The report's currency: orders in another one are kept, but said so in the logs. */
  currency: string;
}

/** An optional event time; a present but impossible one is a broken event. */
function optionalTime(ts: Timestamp | undefined, field: string, type: string): string | null {
  if (ts === undefined) return null;
  if (!isValidTimestamp(ts)) throw new InvalidEventError(type, [`${field} is out of range`]);
  return timestampToMicrosIso(ts, 'floor');
}

/**
 * Every event the reporting service consumes, and what each does to its
 * store. Each handler runs in the inbox transaction, so its writes commit
 * together with the record that the event was handled, or not at all.
 */
export function createReportingSubscriptions(
  options: ReportingSubscriptionOptions,
): readonly Subscription<ReportingDatabase>[] {
  return [
    // In runs: a backlog of orders drains with a few statements per run.
    onBatch(OrderPlacedSchema, async (items, { trx }) => {
      const orders = items.map((item) => readOrderEvent(item.message));
      const outcomes = await recordOrdersPlaced(trx, orders);
      orders.forEach((order, i) => {
        const { logger } = items[i]!;
        const outcome = outcomes[i]!;
        if (order.currencyCode !== options.currency && outcome === 'recorded') {
          logger.warn(
            {
              orderId: order.orderId,
              currency: order.currencyCode,
              reportCurrency: options.currency,
            },
            'order is in another currency than the report; it is kept but not counted',
          );
        }
        logger.debug({ orderId: order.orderId, outcome }, 'order placed');
      });
    }),

    on(OrderCancelledSchema, async (message, { trx, logger }) => {
      const type = message.$typeName;
      if (message.orderId === '') throw new InvalidEventError(type, ['order_id is empty']);
      const cancelledAt = optionalTime(message.cancelledAt, 'cancelled_at', type);
      if (cancelledAt === null) throw new InvalidEventError(type, ['cancelled_at is missing']);
      const outcome = await recordOrderCancelled(trx, message.orderId, cancelledAt, () =>
        readOrderEvent(message),
      );
      logger.debug({ orderId: message.orderId, outcome }, 'order cancelled');
    }),

    on(ProductUpsertedSchema, async (message, { trx }) => {
      const type = message.$typeName;
      if (message.sku === '') throw new InvalidEventError(type, ['sku is empty']);
      await recordProductName(trx, {
        sku: message.sku,
        name: message.name,
        updatedAt: optionalTime(message.updatedAt, 'updated_at', type),
      });
    }),

    on(UserRegisteredSchema, async (message, { trx }) => {
      const type = message.$typeName;
      if (message.userId === '') throw new InvalidEventError(type, ['user_id is empty']);
      await recordCustomerName(trx, {
        customerId: message.userId,
        displayName: message.displayName,
        registeredAt: optionalTime(message.registeredAt, 'registered_at', type),
      });
    }),
  ];
}
