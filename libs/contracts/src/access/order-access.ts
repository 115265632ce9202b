import type { OrderService } from '../gen/switchboard/order/v1/order_service_pb';
import type { AccessPolicy } from './access-policy';

/** Every method is the signed-in customer's, on their own orders. */
export const orderAccessPolicy: AccessPolicy<typeof OrderService> = {
  placeOrder: 'authenticated',
  getOrder: 'authenticated',
  listOrders: 'authenticated',
  cancelOrder: 'authenticated',
};
