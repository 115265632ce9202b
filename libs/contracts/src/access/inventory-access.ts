import type { InventoryService } from '../gen/switchboard/inventory/v1/inventory_service_pb';
import type { AccessPolicy } from './access-policy';

/** Catalog changes are the admin's; reading and reserving need any signed-in caller. */
export const inventoryAccessPolicy: AccessPolicy<typeof InventoryService> = {
  createProduct: 'admin',
  updateProduct: 'admin',
  adjustStock: 'admin',
  getProduct: 'authenticated',
  listProducts: 'authenticated',
  checkAvailability: 'authenticated',
  // Stock changes only through an order: a customer calling these directly
  // could hold or destroy stock, or put sold stock back under a live order.
  reserveStock: 'service',
  commitReservation: 'service',
  releaseReservation: 'service',
  returnReservation: 'service',
  allocateStock: 'service',
  voidAllocation: 'service',
};
