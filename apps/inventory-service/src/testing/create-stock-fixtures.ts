// Test support: what the inventory specs do to every product they touch.
import type { Selectable } from '@switchboard/storage';
import type { ReservationsTable } from '../inventory-schema';
import type { Price } from '../validate-inventory-requests';
import { as, type InventoryTestServer } from '../start-inventory-test-server';

export interface StockFixtures {
  /** Creates a product under a fresh sku, so tests never share stock; returns the sku. */
  newProduct(quantity: number, unitPrice?: Price): Promise<string>;
  /** The stock counters as stored, bypassing the API. */
  stock(sku: string): Promise<{ on_hand: number; reserved: number }>;
  /** The available quantity as a customer sees it through the API. */
  available(sku: string): Promise<number | undefined>;
  /** The reservation row as stored, or undefined when there is none. */
  reservation(id: string): Promise<Selectable<ReservationsTable> | undefined>;
}

export interface StockFixturesOptions {
  /** Starts every sku, so a spec's products are told apart from another spec's. */
  skuPrefix: string;
  /** The product's name, from its sequence number and sku; the sku by default. */
  name?: (n: number, sku: string) => string;
  unitPrice: Price;
}

/**
 * `server` is read at each call, since the specs start their server in
 * beforeAll, after the fixtures are made.
 */
export function createStockFixtures(
  server: () => InventoryTestServer,
  options: StockFixturesOptions,
): StockFixtures {
  let n = 0;
  return {
    async newProduct(quantity, unitPrice = options.unitPrice) {
      const sku = `${options.skuPrefix}${++n}`;
      await server().client.createProduct(
        {
          sku,
          name: options.name?.(n, sku) ?? sku,
          unitPrice,
          initialQuantity: quantity,
        },
        as.admin,
      );
      return sku;
    },
    stock: (sku) =>
      server()
        .storage.db.selectFrom('products')
        .select(['on_hand', 'reserved'])
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow(),
    available: async (sku) =>
      (await server().client.getProduct({ sku }, as.alice)).product?.availableQuantity,
    reservation: (id) =>
      server()
        .storage.db.selectFrom('reservations')
        .selectAll()
        .where('reservation_id', '=', id)
        .executeTakeFirst(),
  };
}
