import type { InventoryService, ReportingService } from '@switchboard/contracts';
import type { ServiceClient } from '@switchboard/rpc';
import pg from 'pg';
import type { CreatedPost, PlacedOrder } from './create-chaos-load';

export interface InvariantInputs {
  /** Everything the client was told succeeded, over every fault so far. */
  load: { orders: readonly PlacedOrder[]; posts: readonly CreatedPost[] };
  /** Each sku's stock before the first order. */
  initialStock: ReadonlyMap<string, number>;
  /** Who follows whom: author id → follower ids (fixed before the load starts). */
  followers: ReadonlyMap<string, readonly string[]>;
  inventory: ServiceClient<typeof InventoryService>;
  reporting: ServiceClient<typeof ReportingService>;
  adminToken: string;
  orderDatabaseUrl: string;
  reportingDatabaseUrl: string;
  postDatabaseUrl: string;
  notificationDatabaseUrl: string;
}

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

/** At most a few examples of a difference, so a failure message stays readable. */
const some = (items: Iterable<string>) => [...items].slice(0, 5).join(', ');

function difference(expected: Set<string>, actual: Set<string>, what: string): string[] {
  const missing = [...expected].filter((id) => !actual.has(id));
  const extra = [...actual].filter((id) => !expected.has(id));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`${what}: ${missing.length} missing (${some(missing)})`);
  if (extra.length > 0) problems.push(`${what}: ${extra.length} unexpected (${some(extra)})`);
  return problems;
}

/**
 * What must hold once the system has settled after a fault, each checked
 * against what the client was told or an independent computation from it:
 * - every order the client saw placed exists, and no other;
 * - stock: each sku's available quantity is its initial stock less exactly
 *   the quantities of those orders (nothing oversold, nothing lost);
 * - reporting recorded every OrderPlaced once, and its report equals the sum
 *   computed here from the client's own orders;
 * - every post's author's followers got exactly one notification of it.
 * Returns the violations; empty when everything holds.
 */
export async function checkInvariants(inputs: InvariantInputs): Promise<string[]> {
  const { load } = inputs;
  const problems: string[] = [];
  const seen = new Set(load.orders.map((o) => o.orderId));

  const placed = await query<{ order_id: string }>(
    inputs.orderDatabaseUrl,
    `select order_id from orders where status = 'placed'`,
  );
  problems.push(...difference(seen, new Set(placed.map((r) => r.order_id)), 'placed orders'));
  const open = await query<{ n: string }>(
    inputs.orderDatabaseUrl,
    `select count(*) as n from orders where status in ('pending', 'abandoned')`,
  );
  if (Number(open[0]?.n) > 0) problems.push(`orders: ${open[0]?.n} still pending or abandoned`);

  const sold = new Map<string, number>();
  for (const order of load.orders) sold.set(order.sku, (sold.get(order.sku) ?? 0) + order.quantity);
  const auth = { headers: { authorization: `Bearer ${inputs.adminToken}` } };
  for (const [sku, initial] of inputs.initialStock) {
    const { product } = await inputs.inventory.getProduct({ sku }, auth);
    const expected = initial - (sold.get(sku) ?? 0);
    if (product?.availableQuantity !== expected) {
      problems.push(
        `stock of ${sku}: available ${product?.availableQuantity}, expected ${initial} - ${sold.get(sku) ?? 0} = ${expected}`,
      );
    }
  }

  const recorded = await query<{ order_id: string; n: string }>(
    inputs.reportingDatabaseUrl,
    `select order_id, count(*) as n from orders group by order_id`,
  );
  problems.push(
    ...difference(seen, new Set(recorded.map((r) => r.order_id)), 'orders in reporting'),
  );
  const report = await inputs.reporting.getSalesReport({}, auth);
  const units = load.orders.reduce((sum, o) => sum + BigInt(o.quantity), 0n);
  const revenue = load.orders.reduce((sum, o) => sum + o.totalMinor, 0n);
  const expectedReport = { orders: BigInt(load.orders.length), units, revenue };
  const actualReport = {
    orders: report.orderCount,
    units: report.unitsSold,
    revenue: report.revenue?.amountMinor ?? 0n,
  };
  if (
    actualReport.orders !== expectedReport.orders ||
    actualReport.units !== expectedReport.units ||
    actualReport.revenue !== expectedReport.revenue
  ) {
    problems.push(
      `sales report ${JSON.stringify(actualReport, bigints)} != computed ${JSON.stringify(expectedReport, bigints)}`,
    );
  }

  // Every post that exists, retried ones included: each must reach its author's followers once.
  const posts = await query<{ post_id: string; author_id: string }>(
    inputs.postDatabaseUrl,
    `select post_id, author_id from posts`,
  );
  const toldPosts = new Set(load.posts.map((p) => p.postId));
  problems.push(
    ...difference(toldPosts, new Set(posts.map((p) => p.post_id)), 'posts').filter((p) =>
      p.includes('missing'),
    ),
  );
  const expectedNotes = new Set<string>();
  for (const post of posts) {
    for (const follower of inputs.followers.get(post.author_id) ?? []) {
      expectedNotes.add(`${post.post_id}→${follower}`);
    }
  }
  const notes = await query<{ post_id: string; recipient_id: string; n: string }>(
    inputs.notificationDatabaseUrl,
    `select post_id, recipient_id, count(*) as n from notifications group by post_id, recipient_id`,
  );
  const twice = notes.filter((n) => Number(n.n) > 1);
  if (twice.length > 0) {
    problems.push(
      `notifications: ${twice.length} (post, follower) pairs notified more than once (${some(twice.map((n) => `${n.post_id}→${n.recipient_id}`))})`,
    );
  }
  problems.push(
    ...difference(
      expectedNotes,
      new Set(notes.map((n) => `${n.post_id}→${n.recipient_id}`)),
      'notifications',
    ),
  );
  return problems;
}

function bigints(_key: string, value: unknown) {
  return typeof value === 'bigint' ? value.toString() : value;
}
