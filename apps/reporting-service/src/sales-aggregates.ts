import { sql, type Kysely } from '@switchboard/storage';
import type { OrderFacts } from './read-order-event';
import type { ReportingDatabase } from './reporting-schema';

/** Midnight UTC of the day an order was placed: its microsecond ISO string starts with the date. */
export function utcDayOf(placedAt: string): string {
  return `${placedAt.slice(0, 10)}T00:00:00Z`;
}

interface Sums {
  orderCount: bigint;
  units: bigint;
  revenueMinor: bigint;
}

/** Adds to the sums under `key`, creating them at zero first. */
function addTo<K>(map: Map<string, { key: K; sums: Sums }>, id: string, key: K, delta: Sums) {
  let entry = map.get(id);
  if (entry === undefined) {
    entry = { key, sums: { orderCount: 0n, units: 0n, revenueMinor: 0n } };
    map.set(id, entry);
  }
  entry.sums.orderCount += delta.orderCount;
  entry.sums.units += delta.units;
  entry.sums.revenueMinor += delta.revenueMinor;
}

/**
 * Rows in key order: concurrent transactions (partitions handled at once, a
 * cancellation) then lock the aggregate rows they share in the same order,
 * so they wait for each other instead of deadlocking.
 */
function sorted<K>(map: Map<string, { key: K; sums: Sums }>) {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/**
 * Adds newly recorded orders to the per-day, per-product and per-customer
 * sums: the orders are summed here first, so a run of any length costs one
 * statement per table, and concurrent runs touch each shared row once.
 * Must run in the transaction that inserted the orders, which is also the
 * one that records their events as handled: a redelivered run finds its
 * orders known and adds nothing.
 */
export async function addOrdersToAggregates(
  db: Kysely<ReportingDatabase>,
  orders: readonly OrderFacts[],
): Promise<void> {
  if (orders.length === 0) return;
  const days = new Map<string, { key: { currency: string; day: string }; sums: Sums }>();
  const products = new Map<
    string,
    { key: { currency: string; day: string; sku: string }; sums: Sums }
  >();
  const customers = new Map<
    string,
    { key: { currency: string; day: string; customerId: string }; sums: Sums }
  >();
  for (const order of orders) {
    const currency = order.currencyCode;
    const day = utcDayOf(order.placedAt);
    const orderSums = { orderCount: 1n, units: order.units, revenueMinor: order.revenueMinor };
    addTo(days, `${currency} ${day}`, { currency, day }, orderSums);
    addTo(
      customers,
      `${currency} ${day} ${order.customerId}`,
      { currency, day, customerId: order.customerId },
      orderSums,
    );
    for (const line of order.lines) {
      const quantity = BigInt(line.quantity);
      addTo(
        products,
        `${currency} ${day} ${line.sku}`,
        { currency, day, sku: line.sku },
        { orderCount: 0n, units: quantity, revenueMinor: quantity * line.unitPriceMinor },
      );
    }
  }

  // One array per column, as for the orders: a fixed-size statement.
  const dayRows = sorted(days);
  await sql`
    insert into sales_days (currency_code, day, order_count, units, revenue_minor)
    select * from unnest(${dayRows.map((r) => r.key.currency)}::text[],
                         ${dayRows.map((r) => r.key.day)}::timestamptz[],
                         ${dayRows.map((r) => String(r.sums.orderCount))}::int8[],
                         ${dayRows.map((r) => String(r.sums.units))}::int8[],
                         ${dayRows.map((r) => String(r.sums.revenueMinor))}::int8[])
    on conflict (currency_code, day) do update
       set order_count   = sales_days.order_count + excluded.order_count,
           units         = sales_days.units + excluded.units,
           revenue_minor = sales_days.revenue_minor + excluded.revenue_minor`.execute(db);

  const productRows = sorted(products);
  await sql`
    insert into sales_product_days (currency_code, day, sku, units, revenue_minor)
    select * from unnest(${productRows.map((r) => r.key.currency)}::text[],
                         ${productRows.map((r) => r.key.day)}::timestamptz[],
                         ${productRows.map((r) => r.key.sku)}::text[],
                         ${productRows.map((r) => String(r.sums.units))}::int8[],
                         ${productRows.map((r) => String(r.sums.revenueMinor))}::int8[])
    on conflict (currency_code, day, sku) do update
       set units         = sales_product_days.units + excluded.units,
           revenue_minor = sales_product_days.revenue_minor + excluded.revenue_minor`.execute(db);

  const customerRows = sorted(customers);
  await sql`
    insert into sales_customer_days (currency_code, day, customer_id, order_count, revenue_minor)
    select * from unnest(${customerRows.map((r) => r.key.currency)}::text[],
                         ${customerRows.map((r) => r.key.day)}::timestamptz[],
                         ${customerRows.map((r) => r.key.customerId)}::text[],
                         ${customerRows.map((r) => String(r.sums.orderCount))}::int8[],
                         ${customerRows.map((r) => String(r.sums.revenueMinor))}::int8[])
    on conflict (currency_code, day, customer_id) do update
       set order_count   = sales_customer_days.order_count + excluded.order_count,
           revenue_minor = sales_customer_days.revenue_minor + excluded.revenue_minor`.execute(db);
}

/**
 * Takes a cancelled order out of the sums, from its stored row and lines, so
 * exactly what recording it added goes away whatever the cancellation
 * carries. The caller has just moved the order from placed to cancelled in
 * the same transaction, which happens once per order.
 */
export async function removeOrderFromAggregates(
  db: Kysely<ReportingDatabase>,
  orderId: string,
): Promise<void> {
  const day = sql`date_trunc('day', o.placed_at at time zone 'UTC') at time zone 'UTC'`;
  await sql`
    insert into sales_days (currency_code, day, order_count, units, revenue_minor)
    select o.currency_code, ${day}, -1, -o.units, -o.revenue_minor
      from orders o
     where o.order_id = ${orderId}
    on conflict (currency_code, day) do update
       set order_count   = sales_days.order_count + excluded.order_count,
           units         = sales_days.units + excluded.units,
           revenue_minor = sales_days.revenue_minor + excluded.revenue_minor`.execute(db);
  await sql`
    insert into sales_product_days (currency_code, day, sku, units, revenue_minor)
    select o.currency_code, ${day}, l.sku,
           -sum(l.quantity), -sum(l.quantity::int8 * l.unit_price_minor)
      from orders o
     cross join lateral unnest(o.line_skus, o.line_quantities, o.line_unit_prices_minor)
           as l (sku, quantity, unit_price_minor)
     where o.order_id = ${orderId}
     group by o.currency_code, 2, l.sku
     order by l.sku
    on conflict (currency_code, day, sku) do update
       set units         = sales_product_days.units + excluded.units,
           revenue_minor = sales_product_days.revenue_minor + excluded.revenue_minor`.execute(db);
  await sql`
    insert into sales_customer_days (currency_code, day, customer_id, order_count, revenue_minor)
    select o.currency_code, ${day}, o.customer_id, -1, -o.revenue_minor
      from orders o
     where o.order_id = ${orderId}
    on conflict (currency_code, day, customer_id) do update
       set order_count   = sales_customer_days.order_count + excluded.order_count,
           revenue_minor = sales_customer_days.revenue_minor + excluded.revenue_minor`.execute(db);
}
