import { sql, type Kysely } from '@switchboard/storage';
import type { AttemptOutcome, DeliveryStore } from '../delivery-store';
import type { SecretSealer } from '../secrets/secret-sealer';
import type { SubscriptionDatabase } from '../subscription-schema';
import { modeOf } from '../to-messages';

const MAX_ERROR_CHARS = 1_000;

const errorText = (attempt: AttemptOutcome | undefined) =>
  [...(attempt?.error ?? '')].slice(0, MAX_ERROR_CHARS).join('');

/**
 * The delivery workers' view of the deliveries table. Every write keeps a
 * finished delivery finished, so a redelivered job (a worker crash after the
 * POST) cannot move DELIVERED back to PENDING or DEAD_LETTERED.
 */
export function createPostgresDeliveryStore(
  db: Kysely<SubscriptionDatabase>,
  sealer: SecretSealer,
): DeliveryStore {
  return {
    async subscriptionForDelivery(deliveryId) {
      const row = await db
        .selectFrom('deliveries as d')
        .innerJoin('subscriptions as s', 's.subscription_id', 'd.subscription_id')
        .select([
          'd.delivery_id',
          's.subscription_id',
          's.sink_url',
          's.mode',
          's.secret_sealed',
          's.paused',
          's.deleted_at',
        ])
        .where('d.delivery_id', '=', deliveryId)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        deliveryId: row.delivery_id,
        subscriptionId: row.subscription_id,
        sinkUrl: row.sink_url,
        mode: modeOf(row.mode),
        signingSecret: await sealer.open(row.secret_sealed, row.subscription_id),
        paused: row.paused,
        deleted: row.deleted_at !== null,
      };
    },

    async recordAttempt(deliveryId, attempt) {
      await db
        .updateTable('deliveries')
        .set({
          attempts: sql<number>`attempts + 1`,
          last_http_status: attempt.httpStatus,
          last_error: errorText(attempt),
          updated_at: new Date(),
        })
        .where('delivery_id', '=', deliveryId)
        .where('status', '=', 'pending')
        .execute();
    },

    async markDelivered(deliveryId, attempt) {
      await db
        .updateTable('deliveries')
        .set({
          status: 'delivered',
          attempts: sql<number>`attempts + 1`,
          last_http_status: attempt.httpStatus,
          last_error: errorText(attempt),
          updated_at: new Date(),
        })
        .where('delivery_id', '=', deliveryId)
        .where('status', '<>', 'delivered')
        .execute();
    },

    async markDeadLettered(deliveryId, reason, attempt) {
      await db
        .updateTable('deliveries')
        .set({
          status: 'dead_lettered',
          attempts: attempt === undefined ? sql<number>`attempts` : sql<number>`attempts + 1`,
          last_http_status:
            attempt === undefined ? sql<number>`last_http_status` : attempt.httpStatus,
          last_error: [...reason].slice(0, MAX_ERROR_CHARS).join(''),
          updated_at: new Date(),
        })
        .where('delivery_id', '=', deliveryId)
        .where('status', '=', 'pending')
        .execute();
    },
  };
}
