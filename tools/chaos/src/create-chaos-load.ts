import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import type { OrderService, PostService } from '@switchboard/contracts';
import type { ServiceClient } from '@switchboard/rpc';

/** What a client may see while a fault lasts, and retry: nothing else is acceptable. */
const RETRYABLE = new Set([Code.Unavailable, Code.DeadlineExceeded]);

export interface PlacedOrder {
  readonly key: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly totalMinor: bigint;
}

export interface CreatedPost {
  readonly postId: string;
  readonly authorId: string;
}

/** A request that failed at least once: from its first failure to its final answer. */
export interface Outage {
  readonly failedAt: number;
  readonly recoveredAt: number;
}

export interface LoadRecord {
  readonly orders: PlacedOrder[];
  readonly posts: CreatedPost[];
  /** Failed attempts by gRPC code name, retried ones included. */
  readonly errors: Map<string, number>;
  /** Answers outside the retryable codes, and requests that never succeeded. */
  readonly unexpected: string[];
  readonly outages: Outage[];
}

export interface ChaosUser {
  readonly userId: string;
  readonly token: string;
}

export interface ChaosLoadOptions {
  orders: ServiceClient<typeof OrderService>;
  posts: ServiceClient<typeof PostService>;
  customers: readonly ChaosUser[];
  authors: readonly ChaosUser[];
  /** Skus with their unit price in minor units (EUR). */
  skus: ReadonlyMap<string, bigint>;
  /** Concurrent PlaceOrder loops; one CreatePost loop runs beside them. */
  orderWorkers: number;
  /** Pause between one loop's requests, so two cores keep up with the consumers too. */
  pauseMs: number;
  /** Each attempt's deadline. */
  attemptTimeoutMs: number;
  /** How long one request may keep failing before it counts as lost. */
  giveUpAfterMs: number;
  now?: () => number;
}

export interface ChaosLoad {
  readonly record: LoadRecord;
  /** Stops starting requests; resolves once every started one has its final answer. */
  stop(): Promise<void>;
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/**
 * A steady stream of PlaceOrder and CreatePost calls, each retried with the
 * same idempotency key (the same request) on UNAVAILABLE or DEADLINE_EXCEEDED
 * until it succeeds, recording what the client saw: the orders and posts it
 * was told exist, every failed attempt by code, and anything else as unexpected.
 */
export function startChaosLoad(options: ChaosLoadOptions): ChaosLoad {
  const now = options.now ?? Date.now;
  const record: LoadRecord = {
    orders: [],
    posts: [],
    errors: new Map(),
    unexpected: [],
    outages: [],
  };
  let stopping = false;

  async function untilAnswered<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    const startedAt = now();
    let failedAt: number | undefined;
    for (;;) {
      try {
        const answer = await call();
        if (failedAt !== undefined) record.outages.push({ failedAt, recoveredAt: now() });
        return answer;
      } catch (raw) {
        const err = ConnectError.from(raw);
        const code = Code[err.code];
        record.errors.set(code, (record.errors.get(code) ?? 0) + 1);
        if (!RETRYABLE.has(err.code)) {
          record.unexpected.push(`${what}: ${code}: ${err.rawMessage}`);
          return undefined;
        }
        failedAt ??= now();
        if (now() - startedAt > options.giveUpAfterMs) {
          record.unexpected.push(
            `${what}: still ${code} after ${options.giveUpAfterMs} ms of retries: ${err.rawMessage}`,
          );
          return undefined;
        }
        await sleep(200);
      }
    }
  }

  async function orderLoop(): Promise<void> {
    const skus = [...options.skus.keys()];
    while (!stopping) {
      const customer = pick(options.customers);
      const sku = pick(skus);
      const quantity = 1 + Math.floor(Math.random() * 3);
      const key = `chaos-${randomUUID()}`;
      const headers = { authorization: `Bearer ${customer.token}`, 'idempotency-key': key };
      const answer = await untilAnswered(`PlaceOrder ${key}`, () =>
        options.orders.placeOrder(
          { items: [{ sku, quantity }] },
          { headers, timeoutMs: options.attemptTimeoutMs },
        ),
      );
      const order = answer?.order;
      if (order !== undefined) {
        record.orders.push({
          key,
          orderId: order.orderId,
          customerId: customer.userId,
          sku,
          quantity,
          totalMinor: order.total?.amountMinor ?? -1n,
        });
      }
      await sleep(options.pauseMs);
    }
  }

  async function postLoop(): Promise<void> {
    let n = 0;
    while (!stopping) {
      const author = pick(options.authors);
      const text = `chaos post ${++n} at ${new Date(now()).toISOString()}`;
      const answer = await untilAnswered(`CreatePost by ${author.userId}`, () =>
        options.posts.createPost(
          { text },
          {
            headers: { authorization: `Bearer ${author.token}` },
            timeoutMs: options.attemptTimeoutMs,
          },
        ),
      );
      const post = answer?.post;
      if (post !== undefined) record.posts.push({ postId: post.postId, authorId: author.userId });
      await sleep(options.pauseMs * 2);
    }
  }

  const loops = [...Array.from({ length: options.orderWorkers }, () => orderLoop()), postLoop()];
  return {
    record,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}
