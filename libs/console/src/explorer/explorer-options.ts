import type { Tracer } from '@opentelemetry/api';
import type { Clock } from '@switchboard/timing';
import type { ConsoleTarget } from '../console-target';

export interface ExplorerOptions {
  /** What to explore: every `service` target is asked through reflection; the edge is skipped. */
  targets: readonly ConsoleTarget[];
  /** The deadline of a unary call made by Invoke, and of one target's reflection. */
  callTimeoutMs: number;
  /** Default: the global OTel tracer `switchboard/console`, so Invoke's spans go where the console's go. */
  tracer?: Tracer;
  /** Default: the system clock; times the reflection cache. */
  clock?: Clock;
  /** How long one target's reflection is reused. Default 10 s. */
  cacheTtlMs?: number;
}
