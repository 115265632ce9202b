import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ProductUpsertedSchema,
  type ProductSchema,
  type ProductUpserted,
} from '@switchboard/contracts';
import type { Selectable } from '@switchboard/storage';
import type { ProductsTable } from './inventory-schema';

export type ProductRow = Selectable<ProductsTable>;

/** What the API calls available: what open reservations have not yet claimed. */
export function availableOf(row: Pick<ProductRow, 'on_hand' | 'reserved'>): number {
  return row.on_hand - row.reserved;
}

export function productMessage(row: ProductRow): MessageInitShape<typeof ProductSchema> {
  return {
    sku: row.sku,
    name: row.name,
    unitPrice: { currencyCode: row.currency_code, amountMinor: row.price_minor },
    availableQuantity: availableOf(row),
  };
}

/** The catalog.products.v1 event for a row as it is after the change. */
export function productUpsertedEvent(row: ProductRow): ProductUpserted {
  return create(ProductUpsertedSchema, {
    sku: row.sku,
    name: row.name,
    unitPrice: { currencyCode: row.currency_code, amountMinor: row.price_minor },
    availableQuantity: availableOf(row),
    updatedAt: timestampFromDate(row.updated_at),
  });
}
