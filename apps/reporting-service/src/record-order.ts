import { sql, type Kysely } from '@switchboard/storage';
import type { OrderFacts } from './read-order-event';
import type { ReportingDatabase } from './reporting-schema';
import { addOrdersToAggregates, removeOrderFromAggregates } from './sales-aggregates';

/** What an OrderPlaced did; only `recorded` changed any figure. */
export type PlacedOutcome = 'recorded' | 'already-recorded' | 'cancelled-earlier';

/** What an OrderCancelled did; only `cancelled` changed any figure. */
export type CancelledOutcome = 'cancelled' | 'already-cancelled' | 'cancelled-before-placed';

/** A PostgreSQL array literal, so each order's lines travel as one element of a text[]. */
function arrayLiteral(values: readonly (string | number | bigint)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * Inserts orders, the first row of an order id winning (like an earlier
 * event), and returns the ids it inserted. One array per column: a statement
 * of fixed size whatever the run's length, which PostgreSQL parses and the
 * driver encodes far faster than one placeholder per value. The lines go as
 * array literals, one per order, since an order's line count varies.
 */
async function insertOrders(
  db: Kysely<ReportingDatabase>,
  orders: readonly OrderFacts[],
  cancelledAt: string | null,
): Promise<string[]> {
  const status = cancelledAt === null ? 'placed' : 'cancelled';
  const result = await sql<{ order_id: string }>`
    insert into orders (order_id, customer_id, currency_code, placed_at, units, revenue_minor,
                        line_skus, line_quantities, line_unit_prices_minor, status, cancelled_at)
    select o.order_id, o.customer_id, o.currency_code, o.placed_at, o.units, o.revenue_minor,
           o.skus::text[], o.quantities::integer[], o.prices::bigint[],
           ${status}, ${cancelledAt}::timestamptz
      from unnest(${orders.map((o) => o.orderId)}::text[],
                  ${orders.map((o) => o.customerId)}::text[],
                  ${orders.map((o) => o.currencyCode)}::text[],
                  ${orders.map((o) => o.placedAt)}::timestamptz[],
                  ${orders.map((o) => String(o.units))}::int8[],
                  ${orders.map((o) => String(o.revenueMinor))}::int8[],
                  ${orders.map((o) => arrayLiteral(o.lines.map((l) => l.sku)))}::text[],
                  ${orders.map((o) => arrayLiteral(o.lines.map((l) => l.quantity)))}::text[],
                  ${orders.map((o) => arrayLiteral(o.lines.map((l) => l.unitPriceMinor)))}::text[])
           as o (order_id, customer_id, currency_code, placed_at, units, revenue_minor,
                 skus, quantities, prices)
    on conflict (order_id) do nothing
    returning order_id`.execute(db);
  return result.rows.map((row) => row.order_id);
}

/**
 * Records orders so reports count them, in a fixed number of statements
 * whatever their number (orders with their lines, one per aggregate table,
 * and a status lookup for repeats): the consumer hands over runs of
 * OrderPlaced, and one round trip per order was what limited how fast a
 * backlog drained. The order id, not the
 * event id, is what makes this idempotent: a second OrderPlaced for a known
 * order (a re-publish under a new event id, even within the same call)
 * changes nothing, and neither does one arriving after the order's
 * cancellation. Outcomes are in the order of `orders`.
 */
export async function recordOrdersPlaced(
  db: Kysely<ReportingDatabase>,
  orders: readonly OrderFacts[],
): Promise<PlacedOutcome[]> {
  if (orders.length === 0) return [];
  const inserted = await insertOrders(db, orders, null);
  const recorded = new Set(inserted);
  const outcomes: PlacedOutcome[] = [];
  const known: string[] = [];
  const counted: OrderFacts[] = [];
  for (const order of orders) {
    if (recorded.delete(order.orderId)) {
      outcomes.push('recorded');
      counted.push(order);
    } else {
      outcomes.push('already-recorded'); // until the status below says otherwise
      known.push(order.orderId);
    }
  }
  await addOrdersToAggregates(db, counted);
  if (known.length > 0) {
    const cancelled = new Set(
      (
        await db
          .selectFrom('orders')
          .select('order_id')
          .where('order_id', 'in', known)
          .where('status', '=', 'cancelled')
          .execute()
      ).map((row) => row.order_id),
    );
    orders.forEach((order, i) => {
      if (outcomes[i] === 'already-recorded' && cancelled.has(order.orderId)) {
        outcomes[i] = 'cancelled-earlier';
      }
    });
  }
  return outcomes;
}

/**
 * Takes an order out of every figure by flipping its status, so exactly what
 * its OrderPlaced added goes away, whatever the cancellation carries. A cancel
 * for an order not seen yet leaves a cancelled row behind (built from the
 * cancellation's copy of the order), and the OrderPlaced that may still come
 * then finds it and counts nothing. Both events are keyed by order id, so
 * Kafka never reorders them; this covers a replay or a producer bug.
 */
export async function recordOrderCancelled(
  db: Kysely<ReportingDatabase>,
  orderId: string,
  cancelledAt: string,
  readOrder: () => OrderFacts,
): Promise<CancelledOutcome> {
  // A second round only happens when an OrderPlaced for the same order
  // committed between our update and our insert (two members briefly owning
  // a partition during a rebalance); the update then finds that order.
  for (let round = 1; ; round++) {
    const updated = await db
      .updateTable('orders')
      .set({ status: 'cancelled', cancelled_at: cancelledAt })
      .where('order_id', '=', orderId)
      .where('status', '=', 'placed')
      .returning('order_id')
      .executeTakeFirst();
    if (updated !== undefined) {
      await removeOrderFromAggregates(db, orderId);
      return 'cancelled';
    }
    const known = await db
      .selectFrom('orders')
      .select('order_id')
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    if (known !== undefined) return 'already-cancelled';
    // Only now are the cancellation's own copies of the lines needed, so only
    // now can their flaws make the event unusable.
    if ((await insertOrders(db, [readOrder()], cancelledAt)).length > 0) {
      return 'cancelled-before-placed';
    }
    if (round >= 3) throw new Error(`order ${orderId} could neither be cancelled nor recorded`);
  }
}
