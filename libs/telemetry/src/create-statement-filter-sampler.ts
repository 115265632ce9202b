import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace';

/**
 * Transaction bookkeeping the pg driver instrumentation would otherwise give
 * a span each: `pg.query:BEGIN <db>`, `pg.query:START <db>` (start
 * transaction isolation level …), `pg.query:COMMIT <db>`, and savepoints.
 * Each of our transactions made two such spans around its one to four real
 * statements, so they were a third of the pg spans of a PlaceOrder trace for
 * nothing a reader needs: the transaction is the span that runs it (the rpc
 * or the event's process span), its statements are its children, and a slow
 * COMMIT still shows as the gap after the last statement and in the
 * `db.client.operation.duration` histogram, which counts every statement
 * whether it has a span or not.
 *
 * ROLLBACK keeps its span: it is rare, and it says the transaction failed.
 */
const UNTRACED = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'SAVEPOINT', 'RELEASE']);
const PG_QUERY = 'pg.query:';

const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/** True for the span name the pg instrumentation gives a transaction-control statement. */
export function isTransactionControlSpan(name: string): boolean {
  if (!name.startsWith(PG_QUERY)) return false;
  const space = name.indexOf(' ', PG_QUERY.length);
  return UNTRACED.has(name.slice(PG_QUERY.length, space === -1 ? undefined : space));
}

/**
 * `inner`, except that transaction-control statements get no span. The
 * decision is taken when the span starts, so such a span is never built; a
 * sampler is also the one place the SDK lets us refuse a span from a library
 * we do not own.
 */
export function createStatementFilterSampler(inner: Sampler): Sampler {
  return {
    shouldSample(
      context: Context,
      traceId: string,
      name: string,
      kind: SpanKind,
      attributes: Attributes,
      links: Link[],
    ) {
      if (isTransactionControlSpan(name)) return DROP;
      return inner.shouldSample(context, traceId, name, kind, attributes, links);
    },
    toString: () => `StatementFilter{${inner.toString()}}`,
  };
}
