// Test support: what the inventory wrote to its outbox, as a consumer will read it.
import { fromBinary } from '@bufbuild/protobuf';
import { ProductUpsertedSchema } from '@switchboard/contracts';
import type { Kysely } from '@switchboard/storage';
import type { InventoryDatabase } from '../inventory-schema';

/** ProductUpserted events in the outbox for one sku, oldest first, decoded. */
export async function readProductEvents(db: Kysely<InventoryDatabase>, sku: string) {
  const rows = await db
    .selectFrom('outbox')
    .selectAll()
    .where('key', '=', sku)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    row,
    headers: JSON.parse(row.headers) as Record<string, string>,
    event: fromBinary(ProductUpsertedSchema, row.payload),
  }));
}
