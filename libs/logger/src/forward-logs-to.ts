import { context, type Logger as OtelLogger } from '@opentelemetry/api';
import { toLogRecord } from './to-log-record';

/**
 * Where every logger of this process also sends its lines, if anywhere.
 * Process-wide, like OTel's own globals: a service creates its logger before
 * it starts telemetry, and telemetry then turns forwarding on for it and for
 * every logger made later, with no per-service code.
 */
let target: OtelLogger | undefined;

/**
 * Called by each logger with each line as it is written (pino's streamWrite
 * hook), synchronously in the log call, so the active context is the
 * caller's. Without a target it costs one comparison.
 */
export function forwardLine(line: string): void {
  if (target === undefined) return;
  try {
    const record = toLogRecord(line, context.active());
    if (record !== undefined) target.emit(record);
  } catch {
    // Logging must never fail because of export: the line is on stdout already.
  }
}

/**
 * Sends every line of every logger in this process to `logger` (an OTel
 * logger, whose provider batches and exports) as well as to its destination,
 * until the returned function is called.
 */
export function forwardLogsTo(logger: OtelLogger): () => void {
  target = logger;
  return () => {
    if (target === logger) target = undefined;
  };
}
