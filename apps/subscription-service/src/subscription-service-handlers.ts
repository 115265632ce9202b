import { randomUUID } from 'node:crypto';
import type { SubscriptionService } from '@switchboard/contracts';
import { DomainError, createValidationError } from '@switchboard/errors';
import { createSequencePageTokenCodec, type ServiceImpl } from '@switchboard/rpc';
import { sql, type Kysely } from '@switchboard/storage';
import { validateFilter } from './matching/validate-filter';
import type { SecretSealer } from './secrets/secret-sealer';
import { createSigningSecret } from './secrets/create-signing-secret';
import { checkSinkUrl, type ResolveHost } from './sinks/check-sink-url';
import { webhookHandshake } from './sinks/webhook-handshake';
import type { SubscriptionDatabase } from './subscription-schema';
import { deliveryOf, storedMode, storedStatus, subscriptionOf } from './to-messages';

/** Live subscriptions one service keeps: every event is matched against each. */
export const MAX_SUBSCRIPTIONS = 1_000;
const DEFAULT_PAGE_SIZE = 20;
/** The advisory lock key of CreateSubscription's limit check (any constant of this service's own). */
const CREATE_LOCK = 0x5b5c_0001;

const subscriptionPages = createSequencePageTokenCodec('subscriptions');
const deliveryPages = createSequencePageTokenCodec('deliveries');

export interface SubscriptionServiceDeps {
  db: Kysely<SubscriptionDatabase>;
  sealer: SecretSealer;
  isKnownType(type: string): boolean;
  allowLoopbackSinks: boolean;
  /** Our WebHook-Request-Origin. */
  origin: string;
  handshakeTimeoutMs: number;
  /** DNS, replaceable only so a unit test can name addresses it cannot own. */
  resolve?: ResolveHost;
}

const SUBSCRIPTION_COLUMNS = [
  'subscription_id',
  'sink_url',
  'filter',
  'mode',
  'paused',
  'description',
  'created_at',
] as const;

function pageAfter(
  codec: ReturnType<typeof createSequencePageTokenCodec>,
  token: string,
  list: string,
): bigint | undefined {
  if (token === '') return undefined;
  const seq = codec.decode(token);
  if (seq === undefined) {
    throw createValidationError([
      { field: 'page_token', description: `is not a token from a previous ${list} response` },
    ]);
  }
  return seq;
}

export function createSubscriptionServiceHandlers(
  deps: SubscriptionServiceDeps,
): ServiceImpl<typeof SubscriptionService> {
  const { db, sealer } = deps;

  const notFound = (id: string) =>
    new DomainError('SUBSCRIPTION_NOT_FOUND', `subscription ${id} does not exist`, {
      details: { subscriptionId: id },
    });

  async function live(id: string) {
    const row = await db
      .selectFrom('subscriptions')
      .select(SUBSCRIPTION_COLUMNS)
      .where('subscription_id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  }

  async function setPaused(id: string, paused: boolean) {
    const row = await db
      .updateTable('subscriptions')
      .set({ paused })
      .where('subscription_id', '=', id)
      .where('deleted_at', 'is', null)
      .returning(SUBSCRIPTION_COLUMNS)
      .executeTakeFirst();
    if (!row) throw notFound(id);
    return { subscription: subscriptionOf(row) };
  }

  return {
    async createSubscription(request) {
      const { rules, violations } = validateFilter(request.filter, deps.isKnownType);
      if (violations.length > 0) throw createValidationError(violations);
      const url = await checkSinkUrl(request.sinkUrl, {
        allowLoopback: deps.allowLoopbackSinks,
        resolve: deps.resolve,
      });
      // Asked before anything is stored: a sink that does not want our events never gets a row.
      await webhookHandshake(url, { origin: deps.origin, timeoutMs: deps.handshakeTimeoutMs });

      const id = randomUUID();
      const secret = createSigningSecret();
      const sealed = await sealer.seal(secret, id);
      const row = await db.transaction().execute(async (trx) => {
        // Serialises creates, so two at once cannot both slip under the limit.
        await sql`select pg_advisory_xact_lock(${CREATE_LOCK})`.execute(trx);
        const count = await trx
          .selectFrom('subscriptions')
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .where('deleted_at', 'is', null)
          .executeTakeFirstOrThrow();
        if (count.n >= BigInt(MAX_SUBSCRIPTIONS)) {
          throw new DomainError(
            'TOO_MANY_SUBSCRIPTIONS',
            `there are already ${MAX_SUBSCRIPTIONS} subscriptions; delete one first`,
          );
        }
        return trx
          .insertInto('subscriptions')
          .values({
            subscription_id: id,
            sink_url: url.href,
            filter: JSON.stringify(rules),
            mode: storedMode(request.mode),
            description: request.description,
            secret_sealed: sealed,
          })
          .returning(SUBSCRIPTION_COLUMNS)
          .executeTakeFirstOrThrow();
      });
      return { subscription: subscriptionOf(row), signingSecret: secret };
    },

    async getSubscription(request) {
      return { subscription: subscriptionOf(await live(request.subscriptionId)) };
    },

    async listSubscriptions(request) {
      const after = pageAfter(subscriptionPages, request.pageToken, 'ListSubscriptions');
      const size = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize;
      let query = db
        .selectFrom('subscriptions')
        .select([...SUBSCRIPTION_COLUMNS, 'seq'])
        .where('deleted_at', 'is', null)
        .orderBy('seq', 'desc')
        .limit(size + 1);
      if (after !== undefined) query = query.where('seq', '<', after);
      const rows = await query.execute();
      const page = rows.slice(0, size);
      return {
        subscriptions: page.map(subscriptionOf),
        nextPageToken: rows.length > size ? subscriptionPages.encode(page.at(-1)!.seq) : '',
      };
    },

    async deleteSubscription(request) {
      // The row stays, marked, so jobs already queued for it are dropped knowingly.
      const deleted = await db
        .updateTable('subscriptions')
        .set({ deleted_at: new Date() })
        .where('subscription_id', '=', request.subscriptionId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (deleted.numUpdatedRows === 0n) throw notFound(request.subscriptionId);
      return {};
    },

    pauseSubscription: (request) => setPaused(request.subscriptionId, true),
    resumeSubscription: (request) => setPaused(request.subscriptionId, false),

    async listDeliveries(request) {
      const after = pageAfter(deliveryPages, request.pageToken, 'ListDeliveries');
      const size = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize;
      const status = storedStatus(request.status);
      let query = db
        .selectFrom('deliveries')
        .select([
          'seq',
          'delivery_id',
          'subscription_id',
          'event_id',
          'event_type',
          'status',
          'attempts',
          'last_http_status',
          'last_error',
          'created_at',
          'updated_at',
        ])
        .orderBy('seq', 'desc')
        .limit(size + 1);
      if (request.subscriptionId !== '') {
        query = query.where('subscription_id', '=', request.subscriptionId);
      }
      if (status !== undefined) query = query.where('status', '=', status);
      if (after !== undefined) query = query.where('seq', '<', after);
      const rows = await query.execute();
      const page = rows.slice(0, size);
      return {
        deliveries: page.map(deliveryOf),
        nextPageToken: rows.length > size ? deliveryPages.encode(page.at(-1)!.seq) : '',
      };
    },
  };
}
