import type { OutboxDatabase } from '@switchboard/event-bus';
import type { ColumnType } from '@switchboard/storage';

/**
 * pending: written before its stock is asked for (PlaceOrder's first step);
 * not an order yet, so no read shows it. abandoned: a pending one whose
 * request gave up on it; whatever stock it got goes back, then the row is
 * deleted. Only placed and cancelled orders are orders.
 */
export type OrderStatus = 'pending' | 'abandoned' | 'placed' | 'cancelled';

/**
 * One row per order. The stock is allocated in the inventory service under
 * the order id, between the pending row and its placing.
 *
 * Two flags track the reservation's life after the order is written, so that
 * work interrupted by an inventory outage is finished later by the settler:
 * - `reservation_committed`: CommitReservation succeeded (the stock is sold).
 * - `stock_returned_at`: a cancelled order's stock went back (released if it
 *   was never committed, returned if it was); null while that is pending.
 */
export interface OrdersTable {
  order_id: string;
  customer_id: string;
  status: OrderStatus;
  /** Every line of an order shares this currency; XXX ("no currency") while pending. */
  currency_code: string;
  /** int8: Σ quantity × unit price, in minor units; comes back as bigint. */
  total_minor: bigint;
  reservation_committed: ColumnType<boolean, boolean | undefined, boolean>;
  /** Millisecond precision, so the page token (a JS Date) matches the stored value exactly. */
  created_at: ColumnType<Date, never, never>;
  cancelled_at: ColumnType<Date | null, never, Date | null>;
  stock_returned_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The idempotency key that placed it, if any: the settler gives a key back with its pending order. */
  idempotency_key: ColumnType<string | null, string | null | undefined, never>;
}

export interface OrderLinesTable {
  order_id: string;
  /** The line's place in the request, so the order reads back as it was placed. */
  position: number;
  sku: string;
  quantity: number;
  /** The price the inventory reserved at, in the order's currency. */
  unit_price_minor: bigint;
}

/**
 * pending: a request holds the key and is placing its order (or died doing
 * so; see `claimed_at`). completed: the order exists and the key answers
 * with it until purged.
 */
export type IdempotencyKeyState = 'pending' | 'completed';

export interface IdempotencyKeysTable {
  customer_id: string;
  idempotency_key: string;
  /** sha256 of the canonical request: a reused key with another body is refused. */
  request_hash: string;
  /** The order (and reservation) id this key places; replaced when a stale claim is taken over. */
  order_id: string;
  state: IdempotencyKeyState;
  /** When the current holder claimed it: a pending claim older than the stale window is taken over. */
  claimed_at: ColumnType<Date, never, Date>;
  /** Retention is counted from here. */
  created_at: ColumnType<Date, never, never>;
}

/** The outbox's tables are part of this database: events commit with the orders they announce. */
export interface OrderDatabase extends OutboxDatabase {
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  idempotency_keys: IdempotencyKeysTable;
}
