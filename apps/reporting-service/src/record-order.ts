import type { Kysely } from '@switchboard/storage';
import type { OrderFacts } from './read-order-event';
import type { ReportingDatabase } from './reporting-schema';

/** What an OrderPlaced did; only `recorded` changed any figure. */
export type PlacedOutcome = 'recorded' | 'already-recorded' | 'cancelled-earlier';

/** What an OrderCancelled did; only `cancelled` changed any figure. */
export type CancelledOutcome = 'cancelled' | 'already-cancelled' | 'cancelled-before-placed';

async function insertOrder(
  db: Kysely<ReportingDatabase>,
  order: OrderFacts,
  cancelledAt: string | null,
): Promise<boolean> {
  const inserted = await db
    .insertInto('orders')
    .values({
      order_id: order.orderId,
      customer_id: order.customerId,
      currency_code: order.currencyCode,
      placed_at: order.placedAt,
      units: order.units,
      revenue_minor: order.revenueMinor,
      status: cancelledAt === null ? 'placed' : 'cancelled',
      cancelled_at: cancelledAt,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .returning('order_id')
    .executeTakeFirst();
  if (inserted === undefined) return false;
  await db
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
  return true;
}

/**
 * Records an order so reports count it. The order id, not the event id, is
 * what makes this idempotent: a second OrderPlaced for a known order (a
 * re-publish under a new event id) changes nothing, and neither does one
 * arriving after the order's cancellation.
 */
export async function recordOrderPlaced(
  db: Kysely<ReportingDatabase>,
  order: OrderFacts,
): Promise<PlacedOutcome> {
  if (await insertOrder(db, order, null)) return 'recorded';
  const existing = await db
    .selectFrom('orders')
    .select('status')
    .where('order_id', '=', order.orderId)
    .executeTakeFirstOrThrow();
  return existing.status === 'cancelled' ? 'cancelled-earlier' : 'already-recorded';
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
    if (updated !== undefined) return 'cancelled';
    const known = await db
      .selectFrom('orders')
      .select('order_id')
      .where('order_id', '=', orderId)
      .executeTakeFirst();
    if (known !== undefined) return 'already-cancelled';
    // Only now are the cancellation's own copies of the lines needed, so only
    // now can their flaws make the event unusable.
    if (await insertOrder(db, readOrder(), cancelledAt)) return 'cancelled-before-placed';
    if (round >= 3) throw new Error(`order ${orderId} could neither be cancelled nor recorded`);
  }
}
