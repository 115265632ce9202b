import { appendToOutbox } from '@switchboard/event-bus';
import { sql, type Kysely, type Selectable, runInTransaction } from '@switchboard/storage';
import {
  orderCancelledEvent,
  orderPlacedEvent,
  type OrderLine,
  type StoredOrder,
} from './order-messages';
import type { OrderDatabase, OrdersTable } from './order-schema';
import type { OrderCursor } from './page-token';
import type { OrderPage } from './validate-order-requests';

export interface NewOrder {
  orderId: string;
  customerId: string;
  currencyCode: string;
  lines: readonly OrderLine[];
}

export interface OrderList {
  orders: StoredOrder[];
  /** Where the next page starts; undefined on the last page. */
  next?: OrderCursor;
}

/** Written before the stock is asked for; see OrdersTable. */
export interface PendingOrder {
  orderId: string;
  customerId: string;
  idempotencyKey?: string;
}

/** An order no request finished: the settler asks inventory about it. */
export interface UnsettledOrder extends PendingOrder {
  status: 'pending' | 'abandoned';
}

export interface PendingReturn {
  orderId: string;
  reservationCommitted: boolean;
}

export interface OrderStore {
  /** The order, its lines and its OrderPlaced event, in `db`'s transaction (or a new one). */
  insertPlaced(db: Kysely<OrderDatabase>, order: NewOrder): Promise<StoredOrder>;
  /** PlaceOrder's first step: the order as pending, in `db`'s transaction (the key's claim). */
  insertPending(db: Kysely<OrderDatabase>, order: PendingOrder): Promise<void>;
  /**
   * pending → PLACED with its lines and OrderPlaced, in `db`'s transaction.
   * Undefined when it is not pending any more (placed by the settler, or
   * abandoned), so the order and its event are written once.
   */
  placePending(db: Kysely<OrderDatabase>, order: NewOrder): Promise<StoredOrder | undefined>;
  /**
   * pending → abandoned, and its idempotency key given back; false when it is
   * not pending (placed, or already gone).
   */
  abandon(db: Kysely<OrderDatabase>, orderId: string): Promise<boolean>;
  /** Deletes a pending or abandoned order that has no stock, and gives its idempotency key back. */
  discard(orderId: string): Promise<void>;
  /** Pending orders untouched for graceMs and abandoned ones, oldest first. */
  unsettled(graceMs: number, limit: number): Promise<UnsettledOrder[]>;
  /** The customer's order; another customer's is as absent as a missing one. */
  get(customerId: string, orderId: string): Promise<StoredOrder | undefined>;
  /** Newest first: created_at, then order id, both descending. */
  list(customerId: string, page: OrderPage): Promise<OrderList>;
  /**
   * PLACED → CANCELLED with its OrderCancelled event in one transaction.
   * `changed` is false for an order that already was cancelled (no event).
   */
  cancel(
    customerId: string,
    orderId: string,
  ): Promise<{ order: StoredOrder; changed: boolean } | undefined>;
  /**
   * Cancels a placed order whose reservation lapsed before it was committed:
   * it never had stock, so nothing is left to return. False when it was not
   * placed any more (a concurrent cancel got there first).
   */
  voidUncommitted(orderId: string): Promise<boolean>;
  markCommitted(orderId: string): Promise<void>;
  markStockReturned(orderId: string): Promise<void>;
  /** Placed orders whose commit is still open, untouched for graceMs (the request may still be at it). */
  pendingCommits(graceMs: number, limit: number): Promise<string[]>;
  /** Cancelled orders whose stock has not gone back yet, releases first. */
  pendingReturns(graceMs: number, limit: number): Promise<PendingReturn[]>;
}

export interface OrderStoreOptions {
  db: Kysely<OrderDatabase>;
  /** CloudEvents source of the events written to the outbox. */
  source: string;
}

type OrderRow = Selectable<OrdersTable>;

function toStored(row: OrderRow, lines: OrderLine[]): StoredOrder {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    currencyCode: row.currency_code,
    totalMinor: row.total_minor,
    reservationCommitted: row.reservation_committed,
    createdAt: row.created_at,
    cancelledAt: row.cancelled_at,
    stockReturnedAt: row.stock_returned_at,
    lines,
  };
}

/** Lines of several orders in one query, each order's in placing order. */
async function linesOf(
  db: Kysely<OrderDatabase>,
  orderIds: readonly string[],
): Promise<Map<string, OrderLine[]>> {
  const byOrder = new Map<string, OrderLine[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return byOrder;
  const rows = await db
    .selectFrom('order_lines')
    .select(['order_id', 'sku', 'quantity', 'unit_price_minor'])
    .where('order_id', 'in', orderIds)
    .orderBy('order_id')
    .orderBy('position')
    .execute();
  for (const row of rows) {
    byOrder.get(row.order_id)?.push({
      sku: row.sku,
      quantity: row.quantity,
      unitPriceMinor: row.unit_price_minor,
    });
  }
  return byOrder;
}

async function withLines(db: Kysely<OrderDatabase>, row: OrderRow): Promise<StoredOrder> {
  const lines = await linesOf(db, [row.order_id]);
  return toStored(row, lines.get(row.order_id) ?? []);
}

/** Gives a key back, if it still names this order: a key taken over is the new holder's. */
async function freeKey(
  trx: Kysely<OrderDatabase>,
  customerId: string,
  key: string,
  orderId: string,
): Promise<void> {
  await trx
    .deleteFrom('idempotency_keys')
    .where('customer_id', '=', customerId)
    .where('idempotency_key', '=', key)
    .where('order_id', '=', orderId)
    .where('state', '=', 'pending')
    .execute();
}

function totalOf(order: NewOrder): bigint {
  return order.lines.reduce((sum, line) => sum + BigInt(line.quantity) * line.unitPriceMinor, 0n);
}

/**
 * The second half of placing an order, whether its row was inserted or a
 * pending one was promoted: its lines and its OrderPlaced event, in `trx`.
 */
async function addLinesAndAnnounce(
  trx: Kysely<OrderDatabase>,
  row: OrderRow,
  order: NewOrder,
  source: string,
): Promise<StoredOrder> {
  await trx
    .insertInto('order_lines')
    .values(
      order.lines.map((line, position) => ({
        order_id: order.orderId,
        position,
        sku: line.sku,
        quantity: line.quantity,
        unit_price_minor: line.unitPriceMinor,
      })),
    )
    .execute();
  const stored = toStored(row, [...order.lines]);
  await appendToOutbox(trx, [orderPlacedEvent(stored)], { source });
  return stored;
}

/** What reads show: a pending or abandoned row is not an order. */
const visible = ['placed', 'cancelled'] as const;

/** The customer's order as reads see it; another customer's is as absent as a missing one. */
function customersOrder(db: Kysely<OrderDatabase>, customerId: string, orderId: string) {
  return db
    .selectFrom('orders')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('customer_id', '=', customerId)
    .where('status', 'in', visible);
}

// Milliseconds, like created_at, so an event's timestamps and a re-read agree.
const nowMs = sql<Date>`date_trunc('milliseconds', now())`;

export function createOrderStore(options: OrderStoreOptions): OrderStore {
  const { db, source } = options;

  return {
    insertPlaced(executor, order) {
      return runInTransaction(executor, async (trx) => {
        const row = await trx
          .insertInto('orders')
          .values({
            order_id: order.orderId,
            customer_id: order.customerId,
            status: 'placed',
            currency_code: order.currencyCode,
            total_minor: totalOf(order),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return addLinesAndAnnounce(trx, row, order, source);
      });
    },

    async insertPending(executor, order) {
      await executor
        .insertInto('orders')
        .values({
          order_id: order.orderId,
          customer_id: order.customerId,
          status: 'pending',
          currency_code: 'XXX',
          total_minor: 0n,
          reservation_committed: false,
          idempotency_key: order.idempotencyKey ?? null,
        })
        .execute();
    },

    placePending(executor, order) {
      return runInTransaction(executor, async (trx) => {
        // The allocation sold the stock: the order is committed as it is placed.
        const row = await trx
          .updateTable('orders')
          .set({
            status: 'placed',
            currency_code: order.currencyCode,
            total_minor: totalOf(order),
            reservation_committed: true,
          })
          .where('order_id', '=', order.orderId)
          .where('status', '=', 'pending')
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) return undefined;
        return addLinesAndAnnounce(trx, row, order, source);
      });
    },

    abandon(executor, orderId) {
      return runInTransaction(executor, async (trx) => {
        const row = await trx
          .updateTable('orders')
          .set({ status: 'abandoned' })
          .where('order_id', '=', orderId)
          .where('status', '=', 'pending')
          .returning(['customer_id', 'idempotency_key'])
          .executeTakeFirst();
        if (row === undefined) return false;
        // An abandoned order is never placed, so its key is free for a retry at once.
        if (row.idempotency_key !== null)
          await freeKey(trx, row.customer_id, row.idempotency_key, orderId);
        return true;
      });
    },

    async discard(orderId) {
      await runInTransaction(db, async (trx) => {
        const row = await trx
          .deleteFrom('orders')
          .where('order_id', '=', orderId)
          .where('status', 'in', ['pending', 'abandoned'])
          .returning(['customer_id', 'idempotency_key'])
          .executeTakeFirst();
        if (row?.idempotency_key == null) return;
        await freeKey(trx, row.customer_id, row.idempotency_key, orderId);
      });
    },

    async unsettled(graceMs, limit) {
      // An abandoned order has no request left to finish it: no grace.
      const rows = await db
        .selectFrom('orders')
        .select(['order_id', 'customer_id', 'status', 'idempotency_key'])
        .where('status', 'in', ['pending', 'abandoned'])
        .where((eb) =>
          eb.or([
            eb('status', '=', 'abandoned'),
            eb(
              'created_at',
              '<',
              sql<Date>`now() - ${graceMs}::double precision * interval '1 millisecond'`,
            ),
          ]),
        )
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        orderId: r.order_id,
        customerId: r.customer_id,
        status: r.status === 'abandoned' ? 'abandoned' : 'pending',
        ...(r.idempotency_key === null ? {} : { idempotencyKey: r.idempotency_key }),
      }));
    },

    async get(customerId, orderId) {
      const row = await customersOrder(db, customerId, orderId).executeTakeFirst();
      return row === undefined ? undefined : withLines(db, row);
    },

    async list(customerId, page) {
      let query = db
        .selectFrom('orders')
        .selectAll()
        .where('customer_id', '=', customerId)
        .where('status', 'in', visible);
      const after = page.after;
      if (after !== undefined) {
        query = query.where(
          sql<boolean>`(created_at, order_id) < (${after.createdAt}::timestamptz, ${after.orderId}::uuid)`,
        );
      }
      // One row more than asked tells whether another page follows.
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('order_id', 'desc')
        .limit(page.pageSize + 1)
        .execute();
      const pageRows = rows.slice(0, page.pageSize);
      const lines = await linesOf(
        db,
        pageRows.map((r) => r.order_id),
      );
      const orders = pageRows.map((row) => toStored(row, lines.get(row.order_id) ?? []));
      const last = pageRows.at(-1);
      return rows.length > page.pageSize && last !== undefined
        ? { orders, next: { createdAt: last.created_at, orderId: last.order_id } }
        : { orders };
    },

    cancel(customerId, orderId) {
      return runInTransaction(db, async (trx) => {
        // Locked, so two concurrent cancels write one event between them.
        const row = await customersOrder(trx, customerId, orderId).forUpdate().executeTakeFirst();
        if (row === undefined) return undefined;
        if (row.status === 'cancelled') return { order: await withLines(trx, row), changed: false };
        const updated = await trx
          .updateTable('orders')
          .set({ status: 'cancelled', cancelled_at: nowMs })
          .where('order_id', '=', orderId)
          .returningAll()
          .executeTakeFirstOrThrow();
        const order = await withLines(trx, updated);
        await appendToOutbox(trx, [orderCancelledEvent(order)], { source });
        return { order, changed: true };
      });
    },

    voidUncommitted(orderId) {
      return runInTransaction(db, async (trx) => {
        const updated = await trx
          .updateTable('orders')
          .set({ status: 'cancelled', cancelled_at: nowMs, stock_returned_at: nowMs })
          .where('order_id', '=', orderId)
          .where('status', '=', 'placed')
          .where('reservation_committed', '=', false)
          .returningAll()
          .executeTakeFirst();
        if (updated === undefined) return false;
        await appendToOutbox(trx, [orderCancelledEvent(await withLines(trx, updated))], { source });
        return true;
      });
    },

    async markCommitted(orderId) {
      await db
        .updateTable('orders')
        .set({ reservation_committed: true })
        .where('order_id', '=', orderId)
        .execute();
    },

    async markStockReturned(orderId) {
      await db
        .updateTable('orders')
        .set({ stock_returned_at: nowMs })
        .where('order_id', '=', orderId)
        .where('stock_returned_at', 'is', null)
        .execute();
    },

    async pendingCommits(graceMs, limit) {
      const rows = await db
        .selectFrom('orders')
        .select('order_id')
        .where('status', '=', 'placed')
        .where('reservation_committed', '=', false)
        .where(
          sql<boolean>`created_at < now() - ${graceMs}::double precision * interval '1 millisecond'`,
        )
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.order_id);
    },

    async pendingReturns(graceMs, limit) {
      // Releases first: held stock blocks other customers' orders until it is
      // released, while sold stock coming back later only delays a restock.
      const rows = await db
        .selectFrom('orders')
        .select(['order_id', 'reservation_committed'])
        .where('status', '=', 'cancelled')
        .where('stock_returned_at', 'is', null)
        .where(
          sql<boolean>`cancelled_at < now() - ${graceMs}::double precision * interval '1 millisecond'`,
        )
        .orderBy('reservation_committed')
        .orderBy('cancelled_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        orderId: r.order_id,
        reservationCommitted: r.reservation_committed,
      }));
    },
  };
}
