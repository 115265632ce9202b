import { appendToOutbox } from '@switchboard/event-bus';
import { DomainError } from '@switchboard/errors';
import { sql, type Kysely, runInTransaction } from '@switchboard/storage';
import { inventoryLimits } from './inventory-limits';
import type { InventoryDatabase } from './inventory-schema';
import { productUpsertedEvent, type ProductRow } from './product-messages';
import { productNotFound, readStock, type ItemAvailability } from './read-stock';
import type {
  NewProduct,
  PageRequest,
  ProductChanges,
  RequestedItem,
  StockAdjustment,
} from './validate-inventory-requests';

export interface ProductPage {
  products: ProductRow[];
  /** The sku to continue after, or undefined on the last page. */
  nextAfterSku?: string;
}

export interface ProductCatalog {
  create(product: NewProduct): Promise<ProductRow>;
  update(changes: ProductChanges): Promise<ProductRow>;
  adjustStock(adjustment: StockAdjustment): Promise<ProductRow>;
  get(sku: string): Promise<ProductRow>;
  list(page: PageRequest): Promise<ProductPage>;
  /** Read-only: what could be reserved right now, per item in request order. */
  checkAvailability(items: readonly RequestedItem[]): Promise<ItemAvailability[]>;
  /** Inserts the products whose sku is not taken yet; returns those it created. */
  insertMissing(products: readonly NewProduct[]): Promise<ProductRow[]>;
}

export interface ProductCatalogOptions {
  /** The service's database, or a transaction to run inside of. */
  db: Kysely<InventoryDatabase>;
  /** CloudEvents source of the ProductUpserted events. */
  source: string;
}

/**
 * The product catalog and its stock counters. Every admin change writes its
 * ProductUpserted event to the outbox inside the same transaction as the
 * change, so the event is published if and only if the change committed.
 */
export function createProductCatalog(options: ProductCatalogOptions): ProductCatalog {
  const { db, source } = options;

  const announce = (trx: Kysely<InventoryDatabase>, rows: readonly ProductRow[]) =>
    appendToOutbox(trx, rows.map(productUpsertedEvent), { source });

  return {
    create(product) {
      return runInTransaction(db, async (trx) => {
        // ON CONFLICT rather than catching the unique violation: no failed
        // statement is left in the transaction, and a racing twin loses cleanly.
        const row = await trx
          .insertInto('products')
          .values({
            sku: product.sku,
            name: product.name,
            currency_code: product.price.currencyCode,
            price_minor: product.price.amountMinor,
            on_hand: product.initialQuantity,
          })
          .onConflict((oc) => oc.column('sku').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) {
          throw new DomainError('PRODUCT_EXISTS', `product ${product.sku} already exists`, {
            details: { sku: product.sku },
          });
        }
        await announce(trx, [row]);
        return row;
      });
    },

    update(changes) {
      return runInTransaction(db, async (trx) => {
        const row = await trx
          .updateTable('products')
          .set({
            ...(changes.name === undefined ? {} : { name: changes.name }),
            ...(changes.price === undefined
              ? {}
              : {
                  currency_code: changes.price.currencyCode,
                  price_minor: changes.price.amountMinor,
                }),
            updated_at: sql<Date>`now()`,
          })
          .where('sku', '=', changes.sku)
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) throw productNotFound(changes.sku);
        await announce(trx, [row]);
        return row;
      });
    },

    adjustStock({ sku, delta }) {
      return runInTransaction(db, async (trx) => {
        // The row lock makes the check and the write one step: no reservation
        // can slip in between and end up holding stock that was just removed.
        const current = await trx
          .selectFrom('products')
          .select(['on_hand', 'reserved'])
          .where('sku', '=', sku)
          .forUpdate()
          .executeTakeFirst();
        if (current === undefined) throw productNotFound(sku);
        const onHand = current.on_hand + delta;
        if (onHand < current.reserved) {
          const removable = current.on_hand - current.reserved;
          throw new DomainError(
            'INSUFFICIENT_STOCK',
            `cannot remove ${-delta} of ${sku}: ${current.on_hand} on hand, ${current.reserved} reserved, so at most ${removable} can be removed`,
            {
              details: { sku, delta, onHand: current.on_hand, reserved: current.reserved },
            },
          );
        }
        if (onHand > inventoryLimits.maxStock) {
          throw new DomainError(
            'STOCK_LIMIT_EXCEEDED',
            `cannot add ${delta} to ${sku}: on-hand stock would be ${onHand}, above the limit of ${inventoryLimits.maxStock}`,
            { details: { sku, delta, onHand: current.on_hand, limit: inventoryLimits.maxStock } },
          );
        }
        const row = await trx
          .updateTable('products')
          .set({ on_hand: onHand, updated_at: sql<Date>`now()` })
          .where('sku', '=', sku)
          .returningAll()
          .executeTakeFirstOrThrow();
        await announce(trx, [row]);
        return row;
      });
    },

    async get(sku) {
      const row = await db
        .selectFrom('products')
        .selectAll()
        .where('sku', '=', sku)
        .executeTakeFirst();
      if (row === undefined) throw productNotFound(sku);
      return row;
    },

    async list({ pageSize, afterSku }) {
      // Keyset pagination: one row more than asked tells whether a next page exists.
      let query = db
        .selectFrom('products')
        .selectAll()
        .orderBy('sku')
        .limit(pageSize + 1);
      if (afterSku !== undefined) query = query.where('sku', '>', afterSku);
      const rows = await query.execute();
      const products = rows.slice(0, pageSize);
      const last = products.at(-1);
      return rows.length > pageSize && last !== undefined
        ? { products, nextAfterSku: last.sku }
        : { products };
    },

    checkAvailability(items) {
      return readStock(db, items);
    },

    insertMissing(products) {
      return runInTransaction(db, async (trx) => {
        if (products.length === 0) return [];
        const rows = await trx
          .insertInto('products')
          .values(
            products.map((p) => ({
              sku: p.sku,
              name: p.name,
              currency_code: p.price.currencyCode,
              price_minor: p.price.amountMinor,
              on_hand: p.initialQuantity,
            })),
          )
          .onConflict((oc) => oc.column('sku').doNothing())
          .returningAll()
          .execute();
        // Only rows created here are news; an existing product may have been
        // changed by an admin since, and re-announcing the seed would undo that downstream.
        await announce(trx, rows);
        return rows;
      });
    },
  };
}
