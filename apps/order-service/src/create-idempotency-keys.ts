import { randomUUID } from 'node:crypto';
import { DomainError } from '@switchboard/errors';
import { sql, type Kysely, runInTransaction } from '@switchboard/storage';
import type { OrderDatabase } from './order-schema';

export type KeyClaim =
  /** This request holds the key and places the order with this id. */
  | { kind: 'claimed'; orderId: string; supersededOrderId?: string }
  /** An earlier request with this key placed this order: answer with it. */
  | { kind: 'completed'; orderId: string };

export interface ClaimOptions {
  /**
   * Writes the order the claim names as pending (status 'pending', carrying
   * the key) in the claim's own statement or transaction, so the two exist
   * together or not at all; a takeover also marks the superseded holder's
   * pending order abandoned. PlaceOrder's first step.
   */
  pendingOrder?: boolean;
}

export interface IdempotencyKeys {
  /**
   * Claims the key before any stock is reserved. A concurrent request holding
   * it is waited for (then its order is the answer); a holder silent for longer
   * than the stale window is taken over with a new order id.
   */
  claim(
    customerId: string,
    key: string,
    requestHash: string,
    signal: AbortSignal,
    options?: ClaimOptions,
  ): Promise<KeyClaim>;
  /**
   * In the order's transaction: the key now answers with the order. Throws
   * when another request took the claim over meanwhile, so that this order is
   * rolled back rather than written twice.
   */
  complete(
    trx: Kysely<OrderDatabase>,
    customerId: string,
    key: string,
    orderId: string,
  ): Promise<void>;
  /** Deletes keys older than the retention; returns how many. */
  purgeExpired(): Promise<number>;
}

export interface IdempotencyKeysOptions {
  db: Kysely<OrderDatabase>;
  /** Retention: a key answers with its order this long, then it is purged and free again. */
  ttlMs: number;
  /**
   * A pending claim untouched this long belongs to a request that died (its
   * process crashed, or its database write never came back). Well above the
   * longest a live request holds it: its inventory steps are bounded.
   */
  staleAfterMs?: number;
  /** How soon a waiting duplicate first looks again; doubled up to 16 times that. */
  pollIntervalMs?: number;
}

const ms = (value: number) => sql`${value}::double precision * interval '1 millisecond'`;

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Idempotency keys of PlaceOrder, one row per (customer, key). The primary
 * key is the lock: the first request inserts a pending row naming the order id
 * it will use, before reserving; a duplicate finds the row, checks the request
 * is the same (a canonical hash of it), and waits for or replays the order.
 *
 * Keys are kept for `ttlMs` (24 h by default) from their first use and then
 * purged by the settler; after that the same key places a new order. The
 * window covers any sane client retry policy; keeping keys forever would only
 * grow the table.
 */
export function createIdempotencyKeys(options: IdempotencyKeysOptions): IdempotencyKeys {
  const { db, ttlMs } = options;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 20;

  async function tryInsert(
    customerId: string,
    key: string,
    requestHash: string,
    orderId: string,
    pendingOrder: boolean,
  ) {
    if (pendingOrder) {
      // One statement, so one round trip: the order row is inserted only
      // from the claim's RETURNING, i.e. only when the key was free.
      const result = await sql<{ order_id: string }>`
        with claim as (
          insert into idempotency_keys (customer_id, idempotency_key, request_hash, order_id, state)
          values (${customerId}, ${key}, ${requestHash}, ${orderId}, 'pending')
          on conflict (customer_id, idempotency_key) do nothing
          returning order_id
        )
        insert into orders (order_id, customer_id, status, currency_code, total_minor, idempotency_key)
        select order_id, ${customerId}, 'pending', 'XXX', 0, ${key} from claim
        returning order_id`.execute(db);
      return result.rows.length === 1;
    }
    const row = await db
      .insertInto('idempotency_keys')
      .values({
        customer_id: customerId,
        idempotency_key: key,
        request_hash: requestHash,
        order_id: orderId,
        state: 'pending',
      })
      .onConflict((oc) => oc.columns(['customer_id', 'idempotency_key']).doNothing())
      .returning('order_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The new holder's pending order, and the superseded one's given up, with the takeover. */
  async function takeOverOrders(
    trx: Kysely<OrderDatabase>,
    customerId: string,
    key: string,
    orderId: string,
    supersededOrderId: string,
  ) {
    await trx
      .insertInto('orders')
      .values({
        order_id: orderId,
        customer_id: customerId,
        status: 'pending',
        currency_code: 'XXX',
        total_minor: 0n,
        idempotency_key: key,
      })
      .execute();
    await trx
      .updateTable('orders')
      .set({ status: 'abandoned' })
      .where('order_id', '=', supersededOrderId)
      .where('status', '=', 'pending')
      .execute();
  }

  return {
    async claim(customerId, key, requestHash, signal, claimOptions = {}) {
      const pendingOrder = claimOptions.pendingOrder ?? false;
      let pause = pollIntervalMs;
      for (;;) {
        const orderId = randomUUID();
        if (await tryInsert(customerId, key, requestHash, orderId, pendingOrder))
          return { kind: 'claimed', orderId };

        const held = await db
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'order_id', 'state'])
          .select(sql<boolean>`claimed_at < now() - ${ms(staleAfterMs)}`.as('stale'))
          .where('customer_id', '=', customerId)
          .where('idempotency_key', '=', key)
          .executeTakeFirst();
        if (held === undefined) continue; // abandoned between our insert and this read: claim again
        if (held.request_hash !== requestHash) {
          throw new DomainError(
            'IDEMPOTENCY_KEY_REUSED',
            'this idempotency-key was used for a different PlaceOrder request; use a new key for a new order',
            { details: { idempotencyKey: key } },
          );
        }
        if (held.state === 'completed') return { kind: 'completed', orderId: held.order_id };
        if (held.stale) {
          // Conditional on the order id seen, so of two requests taking over one wins.
          const taken = await runInTransaction(db, async (trx) => {
            const result = await trx
              .updateTable('idempotency_keys')
              .set({ order_id: orderId, claimed_at: sql<Date>`now()` })
              .where('customer_id', '=', customerId)
              .where('idempotency_key', '=', key)
              .where('state', '=', 'pending')
              .where('order_id', '=', held.order_id)
              .executeTakeFirst();
            if (result.numUpdatedRows === 1n && pendingOrder)
              await takeOverOrders(trx, customerId, key, orderId, held.order_id);
            return result.numUpdatedRows === 1n;
          });
          if (taken) {
            return { kind: 'claimed', orderId, supersededOrderId: held.order_id };
          }
          continue;
        }
        // Another request with this key is placing the order right now: its
        // outcome is ours. The caller's deadline bounds the wait.
        if (signal.aborted) throw signal.reason;
        await wait(pause, signal);
        // Backing off keeps a crowd of duplicates from loading the database the holder needs.
        pause = Math.min(pause * 2, pollIntervalMs * 16);
        if (signal.aborted) throw signal.reason;
      }
    },

    async complete(trx, customerId, key, orderId) {
      const result = await trx
        .updateTable('idempotency_keys')
        .set({ state: 'completed' })
        .where('customer_id', '=', customerId)
        .where('idempotency_key', '=', key)
        .where('order_id', '=', orderId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_IN_USE',
          'another request with this idempotency-key took over placing the order; retry to get its result',
          { details: { idempotencyKey: key } },
        );
      }
    },

    async purgeExpired() {
      const result = await db
        .deleteFrom('idempotency_keys')
        .where(sql<boolean>`created_at < now() - ${ms(ttlMs)}`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
