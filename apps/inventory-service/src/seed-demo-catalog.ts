import type { Logger } from '@switchboard/logger';
import type { ProductCatalog } from './create-product-catalog';
import { demoCatalog } from './demo-catalog';
import type { NewProduct } from './validate-inventory-requests';

/**
 * Adds the demo products that are missing, at every start. Existing skus are
 * left alone, so an admin's price or stock changes survive a restart, and two
 * replicas starting together create each product once. ProductUpserted goes
 * out only for the rows this call created.
 */
export async function seedDemoCatalog(
  catalog: Pick<ProductCatalog, 'insertMissing'>,
  logger: Logger,
  products: readonly NewProduct[] = demoCatalog,
): Promise<string[]> {
  const created = await catalog.insertMissing(products);
  const skus = created.map((row) => row.sku);
  logger.info(
    { created: skus.length, alreadyPresent: products.length - skus.length },
    'demo catalog seeded',
  );
  return skus;
}
