import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  OrderCancelledSchema,
  OrderPlacedSchema,
  OrderStatus,
  type OrderCancelled,
  type OrderLineSchema,
  type OrderPlaced,
  type OrderSchema,
} from '@switchboard/contracts';
import type { OrderStatus as StoredStatus } from './order-schema';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceMinor: bigint;
}

/** An order as stored, with its lines in the order they were placed. */
export interface StoredOrder {
  orderId: string;
  customerId: string;
  status: StoredStatus;
  /** Every line is priced in it. */
  currencyCode: string;
  totalMinor: bigint;
  reservationCommitted: boolean;
  createdAt: Date;
  cancelledAt: Date | null;
  stockReturnedAt: Date | null;
  lines: OrderLine[];
}

const statuses: Record<StoredStatus, OrderStatus> = {
  // Never answered: reads see placed and cancelled orders only.
  pending: OrderStatus.UNSPECIFIED,
  abandoned: OrderStatus.UNSPECIFIED,
  placed: OrderStatus.PLACED,
  cancelled: OrderStatus.CANCELLED,
};

function lineMessages(order: StoredOrder): MessageInitShape<typeof OrderLineSchema>[] {
  return order.lines.map((line) => ({
    sku: line.sku,
    quantity: line.quantity,
    unitPrice: { currencyCode: order.currencyCode, amountMinor: line.unitPriceMinor },
  }));
}

const totalOf = (order: StoredOrder) => ({
  currencyCode: order.currencyCode,
  amountMinor: order.totalMinor,
});

export function orderMessage(order: StoredOrder): MessageInitShape<typeof OrderSchema> {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: statuses[order.status],
    items: lineMessages(order),
    total: totalOf(order),
    createdAt: timestampFromDate(order.createdAt),
  };
}

/** sales.orders.v1: the lines at the prices reserved, so consumers never look them up. */
export function orderPlacedEvent(order: StoredOrder): OrderPlaced {
  return create(OrderPlacedSchema, {
    orderId: order.orderId,
    customerId: order.customerId,
    lines: lineMessages(order),
    total: totalOf(order),
    placedAt: timestampFromDate(order.createdAt),
  });
}

/** The same lines and total as the OrderPlaced it undoes, so a consumer can subtract without state. */
export function orderCancelledEvent(order: StoredOrder): OrderCancelled {
  if (order.cancelledAt === null) throw new Error(`order ${order.orderId} is not cancelled`);
  return create(OrderCancelledSchema, {
    orderId: order.orderId,
    customerId: order.customerId,
    lines: lineMessages(order),
    total: totalOf(order),
    placedAt: timestampFromDate(order.createdAt),
    cancelledAt: timestampFromDate(order.cancelledAt),
  });
}
