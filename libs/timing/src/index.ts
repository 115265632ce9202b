export type { Clock, ClockTimer } from './clock';
export { systemClock } from './system-clock';
export type { ManualClock } from './manual-clock';
export { createManualClock } from './create-manual-clock';
export type { PeriodicTask, PeriodicTaskOptions } from './periodic-task';
export { createPeriodicTask } from './create-periodic-task';
export type { Backoff } from './backoff';
export { backoffDelay } from './backoff-delay';
export { sleep } from './sleep';
