import { randomUUID } from 'node:crypto';
import type { DescMessage, Message } from '@bufbuild/protobuf';
import { allTopics } from '@switchboard/contracts';
import {
  captureTraceContext,
  createEventRegistry,
  eventContext,
  onBatch,
  type DecodedEvent,
  type Subscription,
} from '@switchboard/event-bus';
import { sql, type Transaction } from '@switchboard/storage';
import {
  cloudEventJson,
  eventDataJson,
  type DeliveryJob,
  type DeliveryTraceContext,
} from './delivery-job';
import type { FilterRules } from './matching/event-filter-rules';
import { matchEvent } from './matching/match-event';
import type { SubscriptionDatabase } from './subscription-schema';

/** The consumer group every replica joins, so Kafka splits the partitions between them. */
export const SUBSCRIPTION_GROUP_ID = 'subscription-service';

/** Notified in the transaction that adds deliveries: the dispatcher wakes when it commits. */
export const DELIVERIES_CHANNEL = 'switchboard_subscription_deliveries';

interface DeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  job: string;
}

/**
 * Every event of every topic, matched against the live, unpaused
 * subscriptions. Each match becomes one PENDING delivery row, written in the
 * inbox transaction: the event is "handled" exactly when its deliveries
 * exist. The dispatcher sends them to the work queue after the commit. In
 * runs: a backlog costs one read of the subscriptions and one insert per run.
 */
export function createSubscriptionSubscriptions(): readonly Subscription<SubscriptionDatabase>[] {
  const registry = createEventRegistry();
  const schemas = allTopics.flatMap((t) => t.events.map((e) => e.schema));

  function deliveriesFor(
    schema: DescMessage,
    message: Message,
    event: DecodedEvent,
    live: readonly { subscription_id: string; filter: unknown }[],
  ): DeliveryRow[] {
    const data = eventDataJson(schema, message, registry.protobuf);
    const matched = live.filter((s) =>
      matchEvent(s.filter as FilterRules, { type: event.type, source: event.source, data }),
    );
    if (matched.length === 0) return [];
    const ce = cloudEventJson(event, data);
    const traceContext = traceContextOf(event);
    return matched.map((s) => {
      const job: DeliveryJob = {
        deliveryId: randomUUID(),
        subscriptionId: s.subscription_id,
        event: ce,
        ...(traceContext ? { traceContext } : {}),
      };
      return {
        delivery_id: job.deliveryId,
        subscription_id: s.subscription_id,
        event_id: event.id,
        event_type: event.type,
        job: JSON.stringify(job),
      };
    });
  }

  /** The context the event's work runs in (see eventContext), for the delivery spans. */
  function traceContextOf(event: DecodedEvent): DeliveryTraceContext | undefined {
    const carrier = captureTraceContext(eventContext(event.record));
    const { traceparent, tracestate } = carrier;
    if (traceparent === undefined) return undefined;
    return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
  }

  async function record(trx: Transaction<SubscriptionDatabase>, rows: DeliveryRow[]) {
    if (rows.length === 0) return;
    // An event the inbox forgot and Kafka redelivered keeps its first deliveries.
    await trx
      .insertInto('deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
      .execute();
    await sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(trx);
  }

  return schemas.map((schema) =>
    onBatch<SubscriptionDatabase, DescMessage>(schema, async (items, { trx }) => {
      // Read in the transaction, so a subscription deleted or paused before
      // this commit is never matched after it.
      const live = await trx
        .selectFrom('subscriptions')
        .select(['subscription_id', 'filter'])
        .where('deleted_at', 'is', null)
        .where('paused', '=', false)
        .execute();
      if (live.length === 0) return;
      const rows = items.flatMap((item) => {
        const found = deliveriesFor(schema, item.message, item.event, live);
        if (found.length > 0) {
          item.logger.debug({ deliveries: found.length }, 'event matched subscriptions');
        }
        return found;
      });
      await record(trx, rows);
    }),
  );
}
