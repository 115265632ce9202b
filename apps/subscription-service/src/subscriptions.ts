import { randomUUID } from 'node:crypto';
import { allTopics } from '@switchboard/contracts';
import { createEventRegistry, on, type Subscription } from '@switchboard/event-bus';
import { sql } from '@switchboard/storage';
import { cloudEventJson, eventDataJson, type DeliveryJob } from './delivery-job';
import type { FilterRules } from './matching/event-filter-rules';
import { matchEvent } from './matching/match-event';
import type { SubscriptionDatabase } from './subscription-schema';

/** The consumer group every replica joins, so Kafka splits the partitions between them. */
export const SUBSCRIPTION_GROUP_ID = 'subscription-service';

/** Notified in the transaction that adds deliveries: the dispatcher wakes when it commits. */
export const DELIVERIES_CHANNEL = 'switchboard_subscription_deliveries';

/**
 * Every event of every topic, matched against the live, unpaused
 * subscriptions. Each match becomes one PENDING delivery row, written in the
 * inbox transaction: the event is "handled" exactly when its deliveries
 * exist. The dispatcher sends them to the work queue after the commit.
 */
export function createSubscriptionSubscriptions(): readonly Subscription<SubscriptionDatabase>[] {
  const registry = createEventRegistry();
  const schemas = allTopics.flatMap((t) => t.events.map((e) => e.schema));
  return schemas.map((schema) =>
    on<SubscriptionDatabase, typeof schema>(schema, async (message, { trx, event, logger }) => {
      // Read in the transaction, so a subscription deleted or paused before
      // this commit is never matched after it.
      const live = await trx
        .selectFrom('subscriptions')
        .select(['subscription_id', 'filter'])
        .where('deleted_at', 'is', null)
        .where('paused', '=', false)
        .execute();
      if (live.length === 0) return;
      const data = eventDataJson(schema, message, registry.protobuf);
      const matched = live.filter((s) =>
        matchEvent(s.filter as FilterRules, { type: event.type, source: event.source, data }),
      );
      if (matched.length === 0) return;
      const ce = cloudEventJson(event, data);
      const rows = matched.map((s) => {
        const job: DeliveryJob = {
          deliveryId: randomUUID(),
          subscriptionId: s.subscription_id,
          event: ce,
        };
        return {
          delivery_id: job.deliveryId,
          subscription_id: s.subscription_id,
          event_id: event.id,
          event_type: event.type,
          job: JSON.stringify(job),
        };
      });
      // An event the inbox forgot and Kafka redelivered keeps its first deliveries.
      await trx
        .insertInto('deliveries')
        .values(rows)
        .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
        .execute();
      await sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`.execute(trx);
      logger.debug({ deliveries: rows.length }, 'event matched subscriptions');
    }),
  );
}
