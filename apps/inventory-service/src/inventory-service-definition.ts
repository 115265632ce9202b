import { InventoryService } from '@switchboard/contracts';
import { defineStandardService } from '@switchboard/service-runtime';
import { loadInventoryConfig } from './load-inventory-config';
import { migrations } from './migrations';
import { createInventoryModule } from './inventory-module';

/** The inventory service as main.ts runs it and its tests start it. */
export const inventoryServiceDefinition = defineStandardService({
  service: InventoryService,
  moduleName: 'inventory',
  loadConfig: loadInventoryConfig,
  migrations,
  createModule: createInventoryModule,
});
