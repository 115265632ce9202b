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
 * A range split at midnights UTC: the whole days inside it, [fullFrom,
 * fullTo), are read from the aggregates; what lies before fullFrom or from
 * fullTo on (a bound that is not midnight) is summed from orders. An open
 * bound makes its side infinite. A range inside one day has fullFrom after
 * fullTo: it is then summed from orders alone, through the first part.
 */
function splitRange(q: SalesReportQuery) {
  const from = q.from === undefined ? sql`'-infinity'::timestamptz` : sql`${q.from}::timestamptz`;
  const to = q.to === undefined ? sql`'infinity'::timestamptz` : sql`${q.to}::timestamptz`;
  // The first midnight at or after `from`, and the last at or before `to`;
  // "at time zone 'UTC'" twice makes them independent of the session's zone,
  // and the day is added to the UTC wall-clock time for the same reason
  // (added to a timestamptz it would follow daylight saving shifts).
  // Infinite bounds stay infinite through both.
  const fullFrom = sql`(date_trunc('day', (${from} - interval '1 microsecond') at time zone 'UTC')
    + interval '1 day') at time zone 'UTC'`;
  const fullTo = sql`date_trunc('day', ${to} at time zone 'UTC') at time zone 'UTC'`;
  /** The aggregate rows of whole days inside the range. */
  const wholeDays = (alias: string) =>
    sql`${sql.ref(`${alias}.currency_code`)} = ${q.currency}
      and ${sql.ref(`${alias}.day`)} >= ${fullFrom} and ${sql.ref(`${alias}.day`)} < ${fullTo}`;
  // The counting orders of the range outside its whole days: two disjoint
  // time ranges, each of which the partial index orders_placed_by_time
  // answers alone, so the orders of the whole days are never read.
  const partialDays = sql<boolean>`o.status = 'placed' and (
    (o.currency_code = ${q.currency}
      and o.placed_at >= ${from} and o.placed_at < least(${to}, ${fullFrom}))
    or (o.currency_code = ${q.currency}
      and o.placed_at >= greatest(${from}, ${fullFrom}, ${fullTo}) and o.placed_at < ${to}))`;
  return { wholeDays, partialDays };
}

/**
 * The report from the aggregates the consumer keeps per day (see
 * sales-aggregates.ts), plus the orders of the partial days at the range's
 * bounds, so a report over months reads a few rows per day and product or
 * customer instead of every order and line, and stays exact for any bound.
 * A row whose figures cancellations brought back to zero is left out, as
 * the orders it counted are. Sums of int8 are numeric in PostgreSQL, hence
 * the casts back. All three queries read one snapshot, and the totals are
 * the sum of the days, so they always agree.
 */
export async function querySalesReport(
  db: Kysely<ReportingDatabase>,
  q: SalesReportQuery,
): Promise<SalesReport> {
  const { wholeDays, partialDays } = splitRange(q);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const days = await sql<DaySales>`
        select x.day                            as day,
               sum(x.order_count)::int8         as "orderCount",
               sum(x.units)::int8               as "unitsSold",
               sum(x.revenue_minor)::int8       as "revenueMinor"
          from (select d.day, d.order_count, d.units, d.revenue_minor
                  from sales_days d
                 where ${wholeDays('d')}
                union all
                select date_trunc('day', o.placed_at at time zone 'UTC') at time zone 'UTC',
                       1, o.units, o.revenue_minor
                  from orders o
                 where ${partialDays}) x
         group by x.day
        having sum(x.order_count) > 0
         order by x.day`.execute(trx);

      const products = await sql<ProductSalesRow>`
        select x.sku                                   as sku,
               coalesce(p.name, '')                    as name,
               sum(x.units)::int8                      as "unitsSold",
               sum(x.revenue_minor)::int8              as "revenueMinor"
          from (select s.sku, s.units, s.revenue_minor
                  from sales_product_days s
                 where ${wholeDays('s')}
                union all
                select l.sku collate "C", l.quantity, l.quantity::int8 * l.unit_price_minor
                  from orders o
                 cross join lateral unnest(o.line_skus, o.line_quantities, o.line_unit_prices_minor)
                       as l (sku, quantity, unit_price_minor)
                 where ${partialDays}) x
          left join products p on p.sku = x.sku
         group by x.sku, p.name
        having sum(x.units) > 0
         order by "revenueMinor" desc, x.sku
         limit ${q.limit}`.execute(trx);

      const customers = await sql<CustomerSalesRow>`
        select x.customer_id                           as "customerId",
               coalesce(c.display_name, '')            as "displayName",
               sum(x.order_count)::int8                as "orderCount",
               sum(x.revenue_minor)::int8              as "revenueMinor"
          from (select s.customer_id, s.order_count, s.revenue_minor
                  from sales_customer_days s
                 where ${wholeDays('s')}
                union all
                select o.customer_id, 1, o.revenue_minor
                  from orders o
                 where ${partialDays}) x
          left join customers c on c.customer_id = x.customer_id
         group by x.customer_id, c.display_name
        having sum(x.order_count) > 0
         order by "revenueMinor" desc, x.customer_id
         limit ${q.limit}`.execute(trx);

      const totals: SalesFigures = { orderCount: 0n, unitsSold: 0n, revenueMinor: 0n };
      for (const day of days.rows) {
        totals.orderCount += BigInt(day.orderCount);
        totals.unitsSold += BigInt(day.unitsSold);
        totals.revenueMinor += BigInt(day.revenueMinor);
      }
      return { totals, days: days.rows, products: products.rows, customers: customers.rows };
    });
}
