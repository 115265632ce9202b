import { metrics } from '@opentelemetry/api';
import type { InventoryService } from '@switchboard/contracts';
import { DomainError, isDomainError } from '@switchboard/errors';
import type { CallContext, ServiceImpl } from '@switchboard/rpc';
import type { ProductCatalog } from './create-product-catalog';
import type { Actor, ReservationLedger } from './create-reservation-ledger';
import { encodePageToken } from './page-token';
import { productMessage } from './product-messages';
import {
  toNewProduct,
  validateListProducts,
  validateStockItems,
  validateUpdateProduct,
} from './validate-inventory-requests';

export { inventoryAccessPolicy } from '@switchboard/contracts';

export interface InventoryServiceDeps {
  catalog: ProductCatalog;
  ledger: ReservationLedger;
}

/**
 * The reservation methods are for services only (the access policy), and a
 * service settling an order may act on any reservation. This re-checks the
 * role so that a policy edited by mistake cannot hand a customer that power.
 */
function settlingService(ctx: CallContext): Actor {
  if (ctx.caller === undefined || !ctx.caller.roles.includes('service')) {
    throw new DomainError(
      'PERMISSION_DENIED',
      `${ctx.method} is internal: only services may call it`,
    );
  }
  return { userId: ctx.caller.userId, anyReservation: true };
}

/**
 * The gRPC face of the inventory: each request arrives checked against the
 * contract's field rules; this checks what needs the whole request, calls the
 * catalog or the reservation ledger, and shapes the answer. No business rule
 * lives here that is not also a validation rule.
 */
export function createInventoryService(
  deps: InventoryServiceDeps,
): ServiceImpl<typeof InventoryService> {
  const { catalog, ledger } = deps;
  // Taken here, after the service registered its telemetry: an earlier meter stays a no-op.
  const refused = metrics
    .getMeter('switchboard/inventory-service')
    .createCounter('switchboard.reservations.refused', {
      description: 'ReserveStock calls refused for lack of stock (nothing reserved)',
      unit: '{reservation}',
    });
  return {
    async createProduct(request) {
      const row = await catalog.create(toNewProduct(request));
      return { product: productMessage(row) };
    },

    async updateProduct(request) {
      const row = await catalog.update(validateUpdateProduct(request));
      return { product: productMessage(row) };
    },

    async adjustStock(request) {
      const row = await catalog.adjustStock({ sku: request.sku, delta: request.delta });
      return { product: productMessage(row) };
    },

    async getProduct(request) {
      const row = await catalog.get(request.sku);
      return { product: productMessage(row) };
    },

    async listProducts(request) {
      const page = await catalog.list(validateListProducts(request));
      return {
        products: page.products.map(productMessage),
        nextPageToken: page.nextAfterSku === undefined ? '' : encodePageToken(page.nextAfterSku),
      };
    },

    async checkAvailability(request) {
      const items = await catalog.checkAvailability(validateStockItems(request.items));
      return {
        available: items.every((i) => i.available >= i.requested),
        items: items.map((i) => ({
          sku: i.sku,
          requestedQuantity: i.requested,
          availableQuantity: i.available,
        })),
      };
    },

    async reserveStock(request, ctx) {
      settlingService(ctx);
      const input = {
        reservationId: request.reservationId,
        items: validateStockItems(request.items),
        customerId: request.customerId,
      };
      // The reservation is the customer's, as the calling service verified them.
      const lines = await ledger
        .reserve(input, { userId: input.customerId, anyReservation: false })
        .catch((err: unknown) => {
          if (isDomainError(err) && err.code === 'INSUFFICIENT_STOCK') refused.add(1);
          throw err;
        });
      return { reservationId: input.reservationId, items: lines };
    },

    async allocateStock(request, ctx) {
      settlingService(ctx);
      const input = {
        reservationId: request.orderId,
        items: validateStockItems(request.items),
        customerId: request.customerId,
      };
      // Sold to the customer, as the calling service verified them.
      const lines = await ledger
        .allocate(input, { userId: input.customerId, anyReservation: false })
        .catch((err: unknown) => {
          if (isDomainError(err) && err.code === 'INSUFFICIENT_STOCK') refused.add(1);
          throw err;
        });
      return { orderId: input.reservationId, items: lines };
    },

    async voidAllocation(request, ctx) {
      const lines = await ledger.voidAllocation(request.orderId, settlingService(ctx));
      return { allocated: lines !== undefined, items: lines ?? [] };
    },

    async commitReservation(request, ctx) {
      await ledger.commit(request.reservationId, settlingService(ctx));
      return {};
    },

    async releaseReservation(request, ctx) {
      await ledger.release(request.reservationId, settlingService(ctx));
      return {};
    },

    async returnReservation(request, ctx) {
      await ledger.returnCommitted(request.reservationId, settlingService(ctx));
      return {};
    },
  };
}
