export {
  closeOnSignal,
  type Closable,
  type Closables,
  type CloseOnSignalOptions,
  type CloseTarget,
} from './close-on-signal';
export { cacheProbes, HEALTH_PROBE_MAX_AGE_MS } from './cache-probes';
export { createCachedProbe, type CachedProbeOptions } from './create-cached-probe';
export { runService } from './run-service';
export type { ServiceModule, ServiceModuleOptions } from './service-module';
export { defineStandardService } from './define-standard-service';
export { runStandardService } from './run-standard-service';
export { startStandardService } from './start-standard-service';
export type {
  RunningStandardService,
  StandardModuleOptions,
  StandardService,
  StandardServiceSpec,
  StartStandardServiceOptions,
} from './standard-service';
