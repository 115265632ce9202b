import { sql, type Kysely } from '@switchboard/storage';
import type { ReportingDatabase } from './reporting-schema';

export interface SalesReportQuery {
  /** Inclusive, microsecond ISO string; undefined means open. */
  from?: string;
  /** Exclusive, microsecond ISO string; undefined means open. */
  to?: string;
  currency: string;
  /** Longest list of products and of customers. */
  limit: number;
}

export interface SalesFigures {
  orderCount: bigint;
  unitsSold: bigint;
  revenueMinor: bigint;
}

export interface DaySales extends SalesFigures {
  /** Midnight UTC. */
  day: Date;
}

export interface ProductSalesRow {
  sku: string;
  name: string;
  unitsSold: bigint;
  revenueMinor: bigint;
}

export interface CustomerSalesRow {
  customerId: string;
  displayName: string;
  orderCount: bigint;
  revenueMinor: bigint;
}

export interface SalesReport {
  totals: SalesFigures;
  days: DaySales[];
  products: ProductSalesRow[];
  customers: CustomerSalesRow[];
}

/**
 * The orders that count: placed (not cancelled), in the report's currency,
 * placed inside [from, to). Matches the partial index orders_placed_by_time.
 */
function countingOrders(q: SalesReportQuery) {
  const conditions = [
    sql`o.status = 'placed'`,
    sql`o.currency_code = ${q.currency}`,
    ...(q.from === undefined ? [] : [sql`o.placed_at >= ${q.from}::timestamptz`]),
    ...(q.to === undefined ? [] : [sql`o.placed_at < ${q.to}::timestamptz`]),
  ];
  return sql<boolean>`${sql.join(conditions, sql` and `)}`;
}

/**
 * Adds the report up from the orders and their lines at query time. Keeping
 * per-day rollups instead would make any bound that is not midnight UTC
 * either wrong or a second code path, and make a cancellation a second write
 * that has to match the first; summing the facts is right for every range by
 * construction. Sums of int8 are numeric in PostgreSQL, hence the casts back.
 * All four queries read one snapshot, so the totals equal the sum of the days.
 */
export async function querySalesReport(
  db: Kysely<ReportingDatabase>,
  q: SalesReportQuery,
): Promise<SalesReport> {
  const where = countingOrders(q);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const totals = await sql<SalesFigures>`
        select count(*)::int8                            as "orderCount",
               coalesce(sum(o.units), 0)::int8           as "unitsSold",
               coalesce(sum(o.revenue_minor), 0)::int8   as "revenueMinor"
          from orders o
         where ${where}`.execute(trx);

      // "at time zone 'UTC'" twice: to the UTC wall clock, truncated to the
      // day, and back to an instant; independent of the session's time zone.
      const days = await sql<DaySales>`
        select date_trunc('day', o.placed_at at time zone 'UTC') at time zone 'UTC' as day,
               count(*)::int8                      as "orderCount",
               sum(o.units)::int8                  as "unitsSold",
               sum(o.revenue_minor)::int8          as "revenueMinor"
          from orders o
         where ${where}
         group by 1
         order by 1`.execute(trx);

      const products = await sql<ProductSalesRow>`
        select l.sku                                               as sku,
               coalesce(p.name, '')                                as name,
               sum(l.quantity)::int8                               as "unitsSold",
               sum(l.quantity::int8 * l.unit_price_minor)::int8    as "revenueMinor"
          from orders o
          join order_lines l on l.order_id = o.order_id
          left join products p on p.sku = l.sku
         where ${where}
         group by l.sku, p.name
         order by "revenueMinor" desc, l.sku
         limit ${q.limit}`.execute(trx);

      const customers = await sql<CustomerSalesRow>`
        select o.customer_id                         as "customerId",
               coalesce(c.display_name, '')          as "displayName",
               count(*)::int8                        as "orderCount",
               sum(o.revenue_minor)::int8            as "revenueMinor"
          from orders o
          left join customers c on c.customer_id = o.customer_id
         where ${where}
         group by o.customer_id, c.display_name
         order by "revenueMinor" desc, o.customer_id
         limit ${q.limit}`.execute(trx);

      return {
        totals: totals.rows[0]!,
        days: days.rows,
        products: products.rows,
        customers: customers.rows,
      };
    });
}
