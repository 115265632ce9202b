import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/**
 * The pg driver is patched through a require hook, which only sees a module
 * required after the hook is in place. A service's bundle requires `pg` while
 * its imports are evaluated, long before main() can read the configuration,
 * so the hook is installed when this module is evaluated: main.ts imports
 * `@switchboard/telemetry` first. Until startTelemetry registers the SDK the
 * instrumentation's tracer is the API's proxy, so nothing is recorded yet.
 *
 * requireParentSpan: only queries made for a traced call or event get spans;
 * the outbox relay's and settlers' polling would otherwise start a trace of
 * its own every few milliseconds.
 */
export const pgInstrumentation = new PgInstrumentation({ requireParentSpan: true });

registerInstrumentations({ instrumentations: [pgInstrumentation] });
