import { OrderService } from '@switchboard/contracts';
import { createRemoteAuthenticator } from '@switchboard/rpc';
import { defineStandardService, type StandardModuleOptions } from '@switchboard/service-runtime';
import { loadOrderConfig, type OrderConfig } from './load-order-config';
import { migrations } from './migrations';
import { createOrderModule, type OrderModuleOverrides } from './order-module';
import type { OrderDatabase } from './order-schema';

/** The order service as main.ts runs it and its tests start it. */
export const orderServiceDefinition = defineStandardService({
  service: OrderService,
  moduleName: 'orders',
  loadConfig: loadOrderConfig,
  migrations,
  // auth is set: this service has an auth channel (createAuthenticator below).
  createModule: ({
    auth,
    ...shared
  }: StandardModuleOptions<OrderConfig, OrderDatabase, OrderModuleOverrides>) =>
    createOrderModule({ ...shared, identity: auth!.identity }),
  // VerifyToken gets a budget of its own, ORDER_VERIFY_TOKEN_TIMEOUT_MS.
  createAuthenticator: (config) =>
    createRemoteAuthenticator({ ...config, timeoutMs: config.verifyTokenTimeoutMs }),
});
