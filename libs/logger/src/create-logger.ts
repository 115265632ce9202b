import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger as PinoLogger } from 'pino';
import { forwardLine } from './forward-logs-to';
import { redactSecrets } from './redact-secrets';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** The service name, on every line so merged logs stay readable. */
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/**
 * The active span's ids on every line written while it is active, so a line
 * leads to its trace. Without a registered SDK or outside a call there is no
 * valid span and this costs one context lookup.
 */
function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * JSON lines on stdout, and as OTel log records when telemetry forwards
 * them (forwardLogsTo). Secrets are redacted at any depth (see
 * redact-secrets.ts) so that logging a request, metadata or a config object
 * by mistake cannot leak a password, a token or a private key. pino's own
 * path-based redact cannot express "a password at any depth", hence a walk of
 * each log object, which copies only when it finds something to hide.
 */
export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceFields,
      // Errors are class instances the walk leaves alone; their serialised form is plain.
      serializers: { err: (err: Error) => redactSecrets({ ...pino.stdSerializers.err(err) }) },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings),
        log: (object) => redactSecrets(object),
      },
      // The finished line, redacted, also goes to OTLP when telemetry exports
      // logs (see forward-logs-to.ts); children inherit the hook.
      hooks: {
        streamWrite: (line) => {
          forwardLine(line);
          return line;
        },
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
  // pino applies formatters.bindings to the base bindings only, not to a
  // child's; children inherit this method, so every generation is covered.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as typeof child;
  return logger;
}
