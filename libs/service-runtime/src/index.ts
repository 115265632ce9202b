export {
  closeOnSignal,
  type Closable,
  type Closables,
  type CloseOnSignalOptions,
  type CloseTarget,
} from './close-on-signal';
export { runService } from './run-service';
export type { ServiceModule, ServiceModuleOptions } from './service-module';
