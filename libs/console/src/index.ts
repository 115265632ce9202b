export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
export type { TelemetryStore } from './telemetry/telemetry-store';
export {
  defaultTelemetryBounds,
  type TelemetryStoreOptions,
} from './telemetry/telemetry-store-options';
export { createTelemetryStore } from './telemetry/create-telemetry-store';
export { createTraceMethods } from './traces/create-trace-methods';
export type { TraceMethodsOptions } from './traces/trace-methods-options';
export { createSystemMapMethods } from './system-map/create-system-map-methods';
export type { SystemMapOptions } from './system-map/system-map-options';
export { edgesFromSpans, kafkaNodeId, postgresNodeId } from './system-map/edges-from-spans';
export { maskDatabaseUrl } from './system-map/mask-database-url';
