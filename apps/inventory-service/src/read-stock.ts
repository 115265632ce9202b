import { DomainError } from '@switchboard/errors';
import type { Kysely } from '@switchboard/storage';
import type { InventoryDatabase } from './inventory-schema';
import { availableOf, type ProductRow } from './product-messages';
import type { RequestedItem } from './validate-inventory-requests';

export interface ItemAvailability {
  sku: string;
  requested: number;
  available: number;
}

type StockRow = Pick<ProductRow, 'sku' | 'on_hand' | 'reserved'>;

export function productNotFound(sku: string): DomainError {
  return new DomainError('PRODUCT_NOT_FOUND', `product ${sku} not found`, { details: { sku } });
}

export function productsNotFound(skus: readonly string[]): DomainError {
  if (skus.length === 1) return productNotFound(skus[0] ?? '');
  return new DomainError('PRODUCT_NOT_FOUND', `products not found: ${skus.join(', ')}`, {
    details: { skus },
  });
}

/**
 * The requested skus' rows by sku. Every unknown sku is named in one refusal,
 * so a caller fixes the whole request at once rather than one sku per try.
 */
export function stockBySku<R extends StockRow>(
  rows: readonly R[],
  items: readonly RequestedItem[],
): Map<string, R> {
  const stock = new Map(rows.map((r) => [r.sku, r]));
  const missing = items.filter((i) => !stock.has(i.sku)).map((i) => i.sku);
  if (missing.length > 0) throw productsNotFound(missing);
  return stock;
}

/** What each item asks for beside what could be reserved, in request order. */
export function availabilityOf(
  items: readonly RequestedItem[],
  stock: ReadonlyMap<string, StockRow>,
): ItemAvailability[] {
  return items.map((item) => {
    const row = stock.get(item.sku);
    return {
      sku: item.sku,
      requested: item.quantity,
      available: row === undefined ? 0 : availableOf(row),
    };
  });
}

/**
 * The items' availability as committed right now, without locking: what a
 * read-only check reports, and why a conditional update found no room.
 */
export async function readStock(
  db: Kysely<InventoryDatabase>,
  items: readonly RequestedItem[],
): Promise<ItemAvailability[]> {
  const rows = await db
    .selectFrom('products')
    .select(['sku', 'on_hand', 'reserved'])
    .where(
      'sku',
      'in',
      items.map((i) => i.sku),
    )
    .execute();
  return availabilityOf(items, stockBySku(rows, items));
}
