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
 *
 * ignoreConnectSpans: no `pg-pool.connect` span for each checkout from the
 * pool, nor `pg.connect` for a new connection. Every transaction and every
 * lone statement checks a connection out, so these were a third of a traced
 * call's pg spans, nearly all of them a few microseconds long. Waiting for a
 * free connection still shows, as the gap before a call's first statement
 * and in the pool metrics (db.client.connection.count by state, and
 * db.client.connection.pending_requests), which the instrumentation keeps
 * recording without these spans.
 *
 * BEGIN, COMMIT and the like get no span either: see
 * create-statement-filter-sampler.ts.
 */
export const pgInstrumentation = new PgInstrumentation({
  requireParentSpan: true,
  ignoreConnectSpans: true,
});

registerInstrumentations({ instrumentations: [pgInstrumentation] });
