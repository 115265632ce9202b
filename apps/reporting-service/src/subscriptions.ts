import type { Timestamp } from '@bufbuild/protobuf/wkt';
import {
  CURRENCY_CODE_PATTERN,
  DISPLAY_NAME_MAX_CHARS,
  EMAIL_MAX_CHARS,
  MAX_ORDER_LINES,
  MAX_STOCK,
  MAX_UNIT_PRICE_MINOR,
  OrderCancelledSchema,
  OrderPlacedSchema,
  PRODUCT_NAME_MAX_CHARS,
  ProductUpsertedSchema,
  UserRegisteredSchema,
  type OrderCancelled,
  type OrderPlaced,
  type ProductUpserted,
  type UserRegistered,
} from '@switchboard/contracts';
import { on, onBatch, type Subscription } from '@switchboard/event-bus';
import { fieldProblems } from './field-problems';
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

/** Throws InvalidEventError for the problems found, if any. */
function refuse(type: string, problems: readonly (string | undefined)[]): void {
  const found = problems.filter((p): p is string => p !== undefined);
  if (found.length > 0) throw new InvalidEventError(type, found);
}

/**
 * The ids of an order event: the order service mints UUID order ids for its
 * UUID customers, and refuses malformed skus. (The numbers are readOrderEvent's.)
 */
function checkOrderIds(message: OrderPlaced | OrderCancelled): void {
  refuse(message.$typeName, [
    fieldProblems.uuid('order_id', message.orderId),
    fieldProblems.uuid('customer_id', message.customerId),
    ...message.lines
      .slice(0, MAX_ORDER_LINES)
      .map((line, i) => fieldProblems.sku(`lines[${i}].sku`, line.sku)),
  ]);
}

/** What the inventory API accepts for a product. */
function checkProduct(message: ProductUpserted): void {
  const price = message.unitPrice;
  refuse(message.$typeName, [
    fieldProblems.sku('sku', message.sku),
    fieldProblems.text('name', message.name, PRODUCT_NAME_MAX_CHARS),
    price === undefined
      ? 'unit_price is missing'
      : !CURRENCY_CODE_PATTERN.test(price.currencyCode)
        ? `unit_price.currency_code "${price.currencyCode}" is not an ISO 4217 code`
        : price.amountMinor < 0n || price.amountMinor > MAX_UNIT_PRICE_MINOR
          ? `unit_price ${price.amountMinor} is not between 0 and ${MAX_UNIT_PRICE_MINOR}`
          : undefined,
    message.availableQuantity < 0 || message.availableQuantity > MAX_STOCK
      ? `available_quantity ${message.availableQuantity} is not between 0 and ${MAX_STOCK}`
      : undefined,
  ]);
}

/** What the auth API accepts at registration. */
function checkUser(message: UserRegistered): void {
  refuse(message.$typeName, [
    fieldProblems.uuid('user_id', message.userId),
    fieldProblems.text('display_name', message.displayName, DISPLAY_NAME_MAX_CHARS),
    message.email.length > EMAIL_MAX_CHARS
      ? `email has ${message.email.length} characters, more than ${EMAIL_MAX_CHARS}`
      : undefined,
  ]);
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
      const orders = items.map((item) => {
        checkOrderIds(item.message);
        return readOrderEvent(item.message);
      });
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
      checkOrderIds(message);
      const cancelledAt = optionalTime(message.cancelledAt, 'cancelled_at', type);
      if (cancelledAt === null) throw new InvalidEventError(type, ['cancelled_at is missing']);
      const outcome = await recordOrderCancelled(trx, message.orderId, cancelledAt, () =>
        readOrderEvent(message),
      );
      logger.debug({ orderId: message.orderId, outcome }, 'order cancelled');
    }),

    on(ProductUpsertedSchema, async (message, { trx }) => {
      const type = message.$typeName;
      checkProduct(message);
      await recordProductName(trx, {
        sku: message.sku,
        name: message.name,
        updatedAt: optionalTime(message.updatedAt, 'updated_at', type),
      });
    }),

    on(UserRegisteredSchema, async (message, { trx }) => {
      const type = message.$typeName;
      checkUser(message);
      await recordCustomerName(trx, {
        customerId: message.userId,
        displayName: message.displayName,
        registeredAt: optionalTime(message.registeredAt, 'registered_at', type),
      });
    }),
  ];
}
