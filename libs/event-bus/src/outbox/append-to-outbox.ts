import type { Message } from '@bufbuild/protobuf';
import { allTopics } from '@switchboard/contracts';
import { sql, type Kysely, type Transaction } from '@switchboard/storage';
import { captureTraceContext } from '../telemetry/trace-context';
import { createEventRegistry, type EventRegistry } from '../create-event-registry';
import { encodeEvent } from '../cloudevents/encode-event';

/** The channel the relay listens on; a NOTIFY inside a transaction arrives only on commit. */
export const OUTBOX_CHANNEL = 'switchboard_outbox';

export interface AppendToOutboxOptions {
  /** CloudEvents `source`, e.g. `/switchboard/order-service`. */
  source: string;
  registry?: EventRegistry;
}

const defaultRegistry = createEventRegistry(allTopics);

/**
 * Records events in the outbox as part of the caller's transaction, so that an
 * event exists if and only if the state change it announces committed. The
 * event is framed here (id, time, headers), so the relay publishes bytes and
 * a re-publish after a crash carries the same ce_id.
 */
export async function appendToOutbox<DB>(
  executor: Kysely<DB> | Transaction<DB>,
  events: readonly Message[],
  options: AppendToOutboxOptions,
): Promise<void> {
  if (events.length === 0) return;
  const registry = options.registry ?? defaultRegistry;
  // The request's span, so the relay's producer span joins its trace even
  // when it publishes after a restart.
  const carrier = captureTraceContext();
  const traceContext = Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : null;
  const rows = events.map((event) => {
    const encoded = encodeEvent(event, { registry, source: options.source });
    return sql`(${encoded.id}, ${encoded.topic}, ${encoded.key}, ${encoded.type}, ${JSON.stringify(
      encoded.headers,
    )}, ${encoded.value}, ${traceContext})`;
  });
  await sql`
    insert into outbox (event_id, topic, key, type, headers, payload, trace_context)
    values ${sql.join(rows)}`.execute(executor);
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(executor);
}
