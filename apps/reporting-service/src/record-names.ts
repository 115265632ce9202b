import { sql, type Kysely } from '@switchboard/storage';
import type { ReportingDatabase } from './reporting-schema';

/**
 * Remembers a product's latest name. Reports join names in when they are
 * read, so an order for a product not seen yet counts at once and gets its
 * name whenever this arrives. An upsert older than the stored one (by the
 * event's updated_at) is ignored, so a replayed history ends on the newest name.
 */
export async function recordProductName(
  db: Kysely<ReportingDatabase>,
  product: { sku: string; name: string; updatedAt: string | null },
): Promise<void> {
  await db
    .insertInto('products')
    .values({ sku: product.sku, name: product.name, updated_at: product.updatedAt })
    .onConflict((oc) =>
      oc
        .column('sku')
        .doUpdateSet({
          name: (eb) => eb.ref('excluded.name'),
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        })
        .where(
          sql<boolean>`excluded.updated_at is null or products.updated_at is null
            or excluded.updated_at >= products.updated_at`,
        ),
    )
    .execute();
}

/** Remembers a customer's display name, for the same late join as product names. */
export async function recordCustomerName(
  db: Kysely<ReportingDatabase>,
  customer: { customerId: string; displayName: string; registeredAt: string | null },
): Promise<void> {
  await db
    .insertInto('customers')
    .values({
      customer_id: customer.customerId,
      display_name: customer.displayName,
      registered_at: customer.registeredAt,
    })
    .onConflict((oc) =>
      oc
        .column('customer_id')
        .doUpdateSet({
          display_name: (eb) => eb.ref('excluded.display_name'),
          registered_at: (eb) => eb.ref('excluded.registered_at'),
        })
        .where(
          sql<boolean>`excluded.registered_at is null or customers.registered_at is null
            or excluded.registered_at >= customers.registered_at`,
        ),
    )
    .execute();
}
