// Test support: the events the reporting service consumes, built the way
// their producers build them. Not shipped.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  OrderCancelledSchema,
  OrderPlacedSchema,
  ProductUpsertedSchema,
  Role,
  UserRegisteredSchema,
  type OrderCancelled,
  type OrderPlaced,
  type ProductUpserted,
  type UserRegistered,
} from '@switchboard/contracts';

export const DAY_MS = 86_400_000;

export interface LineSpec {
  sku: string;
  quantity: number;
  priceMinor: number;
}

export interface OrderSpec {
  orderId?: string;
  customerId: string;
  placedAt: Date;
  lines: LineSpec[];
  currency?: string;
}

export function orderPlaced(spec: OrderSpec): OrderPlaced {
  const currencyCode = spec.currency ?? 'EUR';
  const total = spec.lines.reduce((sum, l) => sum + BigInt(l.quantity) * BigInt(l.priceMinor), 0n);
  return create(OrderPlacedSchema, {
    orderId: spec.orderId ?? randomUUID(),
    customerId: spec.customerId,
    lines: spec.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: { currencyCode, amountMinor: BigInt(l.priceMinor) },
    })),
    total: { currencyCode, amountMinor: total },
    placedAt: timestampFromDate(spec.placedAt),
  });
}

/** The cancellation the order service would publish: the same order, plus when. */
export function orderCancelled(placed: OrderPlaced, cancelledAt = new Date()): OrderCancelled {
  return create(OrderCancelledSchema, {
    orderId: placed.orderId,
    customerId: placed.customerId,
    lines: placed.lines,
    total: placed.total,
    placedAt: placed.placedAt,
    cancelledAt: timestampFromDate(cancelledAt),
  });
}

export function productUpserted(
  sku: string,
  name: string,
  updatedAt = new Date(),
): ProductUpserted {
  return create(ProductUpsertedSchema, {
    sku,
    name,
    unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
    availableQuantity: 10,
    updatedAt: timestampFromDate(updatedAt),
  });
}

export function userRegistered(userId: string, displayName: string): UserRegistered {
  return create(UserRegisteredSchema, {
    userId,
    email: `${userId}@example.test`,
    displayName,
    roles: [Role.CUSTOMER],
    registeredAt: timestampFromDate(new Date()),
  });
}

/**
 * A stretch of days that no other test run uses. The broker is shared and
 * keeps every run's events, and each test consumes the topics from the
 * beginning, so a test only ever asks for a report of its own window:
 * midnight UTC of a random day between the years 2200 and 9900.
 */
export function privateWindowStart(): Date {
  const first = Date.UTC(2200, 0, 1) / DAY_MS;
  const last = Date.UTC(9900, 0, 1) / DAY_MS;
  return new Date(randomInt(first, last) * DAY_MS);
}

/** A prefix for ids, so one run's products and customers never meet another's. */
export function runId(): string {
  return randomUUID().slice(0, 8);
}

/** A sku of this run, shaped as the inventory API demands (upper case). */
export function testSku(run: string, name: string): string {
  return `${run}-${name}`.toUpperCase();
}

/**
 * A customer id of this run: a UUID, as auth mints them, and the same one for
 * the same name, so a test can name its customers.
 */
export function testCustomerId(run: string, name: string): string {
  const hex = createHash('sha256').update(`${run}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
