// First: a service imports this module before anything that loads the pg driver.
export {
  shutdownTelemetry,
  startTelemetry,
  type Telemetry,
  type TelemetryOptions,
} from './start-telemetry';
