import { inboxMigrations } from '@switchboard/event-bus';
import { sql, type Kysely, type Migration } from '@switchboard/storage';

const createOrders: Migration = {
  async up(db: Kysely<unknown>) {
    // Ids collate "C" so report tie-breaks order the same on PGlite and on a
    // server whatever its locale.
    await sql`
      create table orders (
        order_id      text collate "C" primary key,
        customer_id   text collate "C" not null,
        currency_code text not null check (currency_code ~ '^[A-Z]{3}$'),
        placed_at     timestamptz not null,
        units         bigint not null check (units > 0),
        revenue_minor bigint not null check (revenue_minor >= 0),
        status        text not null check (status in ('placed', 'cancelled')),
        cancelled_at  timestamptz,
        recorded_at   timestamptz not null default now(),
        constraint orders_cancelled_has_time check ((status = 'cancelled') = (cancelled_at is not null))
      )`.execute(db);
    // Every report reads the counting orders of one currency in a time range;
    // cancelled orders are never read, so they stay out of the index.
    await sql`
      create index orders_placed_by_time on orders (currency_code, placed_at)
        where status = 'placed'`.execute(db);
    await sql`
      create table order_lines (
        order_id         text collate "C" not null references orders (order_id),
        position         integer not null check (position >= 0),
        sku              text collate "C" not null,
        quantity         integer not null check (quantity > 0),
        unit_price_minor bigint not null check (unit_price_minor >= 0),
        primary key (order_id, position)
      )`.execute(db);
  },
};

const createNames: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table products (
        sku        text collate "C" primary key,
        name       text not null,
        updated_at timestamptz
      )`.execute(db);
    await sql`
      create table customers (
        customer_id   text collate "C" primary key,
        display_name  text not null,
        registered_at timestamptz
      )`.execute(db);
  },
};

const createSalesAggregates: Migration = {
  async up(db: Kysely<unknown>) {
    // What the report adds up, per UTC day (midnight UTC as a timestamptz) and
    // currency, kept by the consumer as orders come and go. Whole days of a
    // range are read here; only the partial days at its bounds are summed
    // from orders. A cancellation subtracts, so a row can drop to zero: the
    // report leaves such rows out.
    await sql`
      create table sales_days (
        currency_code text not null,
        day           timestamptz not null,
        order_count   bigint not null,
        units         bigint not null,
        revenue_minor bigint not null,
        primary key (currency_code, day)
      )`.execute(db);
    await sql`
      create table sales_product_days (
        currency_code text not null,
        day           timestamptz not null,
        sku           text collate "C" not null,
        units         bigint not null,
        revenue_minor bigint not null,
        primary key (currency_code, day, sku)
      )`.execute(db);
    await sql`
      create table sales_customer_days (
        currency_code text not null,
        day           timestamptz not null,
        customer_id   text collate "C" not null,
        order_count   bigint not null,
        revenue_minor bigint not null,
        primary key (currency_code, day, customer_id)
      )`.execute(db);
    // An upgraded database reports what it reported before: the aggregates
    // start from the orders that count today.
    await sql`
      insert into sales_days (currency_code, day, order_count, units, revenue_minor)
      select currency_code, date_trunc('day', placed_at at time zone 'UTC') at time zone 'UTC',
             count(*), sum(units), sum(revenue_minor)
        from orders
       where status = 'placed'
       group by 1, 2`.execute(db);
    await sql`
      insert into sales_product_days (currency_code, day, sku, units, revenue_minor)
      select o.currency_code, date_trunc('day', o.placed_at at time zone 'UTC') at time zone 'UTC',
             l.sku, sum(l.quantity), sum(l.quantity::int8 * l.unit_price_minor)
        from orders o
        join order_lines l on l.order_id = o.order_id
       where o.status = 'placed'
       group by 1, 2, 3`.execute(db);
    await sql`
      insert into sales_customer_days (currency_code, day, customer_id, order_count, revenue_minor)
      select currency_code, date_trunc('day', placed_at at time zone 'UTC') at time zone 'UTC',
             customer_id, count(*), sum(revenue_minor)
        from orders
       where status = 'placed'
       group by 1, 2, 3`.execute(db);

    // An order's lines move into its row, as three arrays in their original
    // order: the report needs them only for partial days and cancellations,
    // and a row per line cost a heap tuple and an index entry each for every
    // order the consumer writes.
    await sql`
      alter table orders
        add column line_skus              text[] collate "C",
        add column line_quantities        integer[],
        add column line_unit_prices_minor bigint[]`.execute(db);
    await sql`
      update orders o
         set line_skus = l.skus, line_quantities = l.quantities, line_unit_prices_minor = l.prices
        from (select order_id,
                     array_agg(sku order by position)              as skus,
                     array_agg(quantity order by position)         as quantities,
                     array_agg(unit_price_minor order by position) as prices
                from order_lines
               group by order_id) l
       where l.order_id = o.order_id`.execute(db);
    await sql`
      alter table orders
        alter column line_skus set not null,
        alter column line_quantities set not null,
        alter column line_unit_prices_minor set not null,
        add constraint orders_lines_line_up check (
          cardinality(line_skus) >= 1
          and cardinality(line_quantities) = cardinality(line_skus)
          and cardinality(line_unit_prices_minor) = cardinality(line_skus))`.execute(db);
    await sql`drop table order_lines`.execute(db);
  },
};

/**
 * This service's schema, in order. Applied at start; never edit one that has
 * shipped. The inbox comes first: it is shared code, named 0000_*, and every
 * later migration may assume it exists.
 */
export const migrations: Record<string, Migration> = {
  ...inboxMigrations,
  '0001_create_orders': createOrders,
  '0002_create_names': createNames,
  '0003_create_sales_aggregates': createSalesAggregates,
};
