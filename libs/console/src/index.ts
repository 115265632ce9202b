export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
// The server: one port for the browser app, ConsoleService and the OTLP receiver.
export { createConsoleServer, DEFAULT_MAX_REQUEST_BYTES } from './server/create-console-server';
export type { ConsoleServer, ConsoleServerOptions, OtlpHandler } from './server/console-server';
export type { ConsoleAuthenticate, ConsoleCaller } from './server/console-authenticate';
export {
  createAuthAuthenticator,
  type AuthAuthenticatorOptions,
} from './server/create-auth-authenticator';
export { isLoopbackHost } from './server/is-loopback-host';
// The telemetry store the OTLP receiver fills, and the trace views over it.
export type { TelemetryStore } from './telemetry/telemetry-store';
export {
  defaultTelemetryBounds,
  type TelemetryStoreOptions,
} from './telemetry/telemetry-store-options';
export { createTelemetryStore } from './telemetry/create-telemetry-store';
export { createTraceMethods } from './traces/create-trace-methods';
export type { TraceMethodsOptions } from './traces/trace-methods-options';
// The system map: health, rates and the edges the spans show.
export { createSystemMapMethods } from './system-map/create-system-map-methods';
export type { SystemMapOptions } from './system-map/system-map-options';
export { edgesFromSpans, kafkaNodeId, postgresNodeId } from './system-map/edges-from-spans';
export { maskDatabaseUrl } from './system-map/mask-database-url';
// Topics and dead letters on the broker, as the events CLI sees them.
export type { ConsoleKafkaOptions } from './topics/console-kafka-options';
export { createTopicMethods } from './topics/create-topic-methods';
export type { TopicMethods } from './topics/topic-methods';
export { createDeadLetterMethods } from './dead-letters/create-dead-letter-methods';
export type { DeadLetterMethods } from './dead-letters/dead-letter-methods';
// The API explorer: services and methods through reflection, and calls to them.
export {
  createExplorerMethods,
  OMITTED_TARGET_HEADER,
  type ExplorerMethods,
} from './explorer/create-explorer-methods';
export type { ExplorerOptions } from './explorer/explorer-options';
