// OrderPlaced events as the order service's outbox relay puts them on Kafka:
// the contracts' message, framed as a binary-mode CloudEvent with the order
// service as its source (consumers dead-letter an OrderPlaced from anyone
// else). Shared by the modules that feed OrderPlaced to a consumer.
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { OrderPlacedSchema, type OrderPlaced } from '@switchboard/contracts';
import {
  encodeEvent,
  eventSourceOf,
  type EncodedEvent,
  type EventRegistry,
} from '@switchboard/event-bus';

const ORDER_SOURCE = eventSourceOf('order-service');

/** The i-th order of a run: 1–3 lines, EUR, a pool of 100 customers and 50 products. */
export function benchOrderPlaced(i: number, placedAt = new Date()): OrderPlaced {
  const lines = Array.from({ length: 1 + (i % 3) }, (_, n) => ({
    sku: `SKU-${(i * 7 + n) % 50}`,
    quantity: 1 + (n % 2),
    unitPrice: { currencyCode: 'EUR', amountMinor: 250n + BigInt(n * 100) },
  }));
  const total = lines.reduce((sum, l) => sum + BigInt(l.quantity) * l.unitPrice.amountMinor, 0n);
  return create(OrderPlacedSchema, {
    orderId: randomUUID(),
    // UUIDs, as auth mints them: the reporting service refuses other customer ids.
    customerId: `00000000-0000-4000-8000-${String(i % 100).padStart(12, '0')}`,
    lines,
    total: { currencyCode: 'EUR', amountMinor: total },
    placedAt: timestampFromDate(placedAt),
  });
}

/** The record the relay would publish for `event`, with the given CloudEvent id and time. */
export function encodeOrderPlaced(
  registry: EventRegistry,
  event: OrderPlaced,
  options: { id?: string; time?: Date } = {},
): EncodedEvent {
  return encodeEvent(event, { registry, source: ORDER_SOURCE, ...options });
}
