import type { InboxDatabase } from '@switchboard/event-bus';
import type { ColumnType } from '@switchboard/storage';

/**
 * placed: the order counts in reports; cancelled: it does not, and never will
 * again. Nothing moves a cancelled order back, so replays and reordering
 * cannot resurrect it.
 */
export type OrderStatus = 'placed' | 'cancelled';

/**
 * One row per order id, the unit a cancellation undoes. Reports add up the
 * rows that are `placed`, so cancelling is one status change and takes away
 * exactly what the order added. `units` and `revenue_minor` are the sums of
 * its lines, kept here so totals and per-day figures need no join.
 */
export interface OrdersTable {
  order_id: string;
  customer_id: string;
  currency_code: string;
  /** Written as a microsecond ISO string, so no precision is lost to Date. */
  placed_at: ColumnType<Date, string, never>;
  units: bigint;
  /** int8, in the currency's minor unit: comes back as bigint. */
  revenue_minor: bigint;
  status: OrderStatus;
  cancelled_at: ColumnType<Date | null, string | null | undefined, string | null>;
  recorded_at: ColumnType<Date, Date | undefined, never>;
  /** The order's lines as the event carried them, in their order: the same index in each array. */
  line_skus: string[];
  line_quantities: number[];
  /** int8[]: written as decimal strings; read back only in SQL. */
  line_unit_prices_minor: ColumnType<unknown[], string[], never>;
}

/** Names, joined in at read time so an order counts before its product is known. */
export interface ProductsTable {
  sku: string;
  name: string;
  /** The event's updated_at: an older upsert never overwrites a newer name. */
  updated_at: ColumnType<Date | null, string | null, string | null>;
}

export interface CustomersTable {
  customer_id: string;
  display_name: string;
  registered_at: ColumnType<Date | null, string | null, string | null>;
}

/**
 * The report's sums per currency and UTC day (`day` is its midnight), kept
 * in step with `orders` in the same transactions: what an order adds when it
 * is recorded, its cancellation subtracts. int8 columns come back as bigint.
 */
export interface SalesDaysTable {
  currency_code: string;
  day: ColumnType<Date, string, never>;
  order_count: bigint;
  units: bigint;
  revenue_minor: bigint;
}

export interface SalesProductDaysTable {
  currency_code: string;
  day: ColumnType<Date, string, never>;
  sku: string;
  units: bigint;
  revenue_minor: bigint;
}

export interface SalesCustomerDaysTable {
  currency_code: string;
  day: ColumnType<Date, string, never>;
  customer_id: string;
  order_count: bigint;
  revenue_minor: bigint;
}

/** The inbox's table is part of this database: each event's effect commits with its inbox row. */
export interface ReportingDatabase extends InboxDatabase {
  orders: OrdersTable;
  products: ProductsTable;
  customers: CustomersTable;
  sales_days: SalesDaysTable;
  sales_product_days: SalesProductDaysTable;
  sales_customer_days: SalesCustomerDaysTable;
}
