export { closeOnSignal, type Closable, type CloseOnSignalOptions } from './close-on-signal';
export { runService } from './run-service';
