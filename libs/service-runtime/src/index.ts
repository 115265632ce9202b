export {
  closeOnSignal,
  type Closable,
  type Closables,
  type CloseOnSignalOptions,
  type CloseTarget,
} from './close-on-signal';
export {
  createPeriodicTask,
  type PeriodicTask,
  type PeriodicTaskOptions,
} from './create-periodic-task';
export { runService } from './run-service';
export type { ServiceModule, ServiceModuleOptions } from './service-module';
