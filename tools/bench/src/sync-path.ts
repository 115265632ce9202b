// Measurement 3: the synchronous path under ghz, on the default stack: all
// six services as real processes on the bench's PostgreSQL server, so the
// reporting consumer drains the orders as it does for a user. Loaded with
// CheckAvailability (inventory, token checked with auth) and PlaceOrder
// (order: token check, the stock allocation in inventory, the order and its
// event), at several concurrencies. Each run also meters the CPU every process
// spent (services, PostgreSQL, the broker; not ghz), per successful call.
import { randomBytes } from 'node:crypto';
import { InventoryService, OrderService } from '@switchboard/contracts';
import type { ServiceApp } from '@switchboard/testing';
import { sleep, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz, type GhzResult } from './ghz';
import { meterCpu } from './process-cpu';
import {
  ALL_APPS,
  createServiceStack,
  loginAdmin,
  newCustomer,
  type BenchUser,
  type ServiceStack,
} from './service-stack';
import { alternate, summarize } from './stats';

const TITLE = 'CheckAvailability and PlaceOrder under ghz';
/** Orders spread over this many products, as a catalog would; each has the maximum stock. */
export const PRODUCTS = 16;
export const STOCK = 1_000_000;
/** Per-run ceiling on calls, far below the stock PRODUCTS × STOCK can serve over a whole run. */
export const MAX_CALLS_PER_RUN = 200_000;
/** After a run, wait (at most this long) until the stack is quiet, so trailing work is counted. */
const SETTLE_MAX_MS = 15_000;
/** The load tools' processes: what they spend is not the stack's. */
export const LOAD_GENERATORS: ReadonlySet<string> = new Set(['ghz', 'autocannon']);
/** "Quiet": every metered process together used less than this share of one core over 250 ms. */
const QUIET_SHARE = 0.05;
/** The processes whose CPU is split out per call, in this order; the rest is summed as "other". */
const ROLES = [
  'order-service',
  'inventory-service',
  'auth-service',
  'reporting-service',
  'postgres',
  'kafka',
] as const;

export interface Target {
  readonly stack: ServiceStack;
  readonly customer: BenchUser;
  readonly skus: readonly string[];
}

/** A customer to order as, and PRODUCTS products with STOCK each, created through the admin API. */
export async function prepareCatalog(stack: ServiceStack): Promise<Target> {
  const admin = await loginAdmin(stack);
  const customer = await newCustomer(stack, 'bench-customer');
  const inventory = stack.client(InventoryService, 'inventory-service');
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const skus: string[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const sku = `BENCH-${tag}-${i}`;
    await inventory.createProduct(
      {
        sku,
        name: `Bench product ${i}`,
        unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
        initialQuantity: STOCK,
      },
      admin.auth,
    );
    skus.push(sku);
  }
  return { stack, customer, skus };
}

const METHODS = {
  CheckAvailability: {
    call: `${InventoryService.typeName}.${InventoryService.method.checkAvailability.name}`,
    app: 'inventory-service',
  },
  PlaceOrder: {
    call: `${OrderService.typeName}.${OrderService.method.placeOrder.name}`,
    app: 'order-service',
  },
} as const satisfies Record<string, { call: string; app: ServiceApp }>;
type MethodName = keyof typeof METHODS;

interface Run {
  readonly ghz: GhzResult;
  /** CPU ms per successful call, by process role, and 'total'. */
  readonly cpuPerCall: Map<string, number>;
}

/** Waits until the stack has drained what the run left queued (outbox, consumers), or SETTLE_MAX_MS. */
export async function settle(): Promise<void> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  while (Date.now() < deadline) {
    const meter = meterCpu();
    await sleep(250);
    let used = 0;
    for (const [role, ms] of meter.stop()) if (!LOAD_GENERATORS.has(role)) used += ms;
    if (used < 250 * QUIET_SHARE) return;
  }
}

export async function measureSyncPath(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  const concurrencies = ctx.quick ? [8, 32] : [1, 8, 32, 64];
  const durationMs = ctx.quick ? 3_000 : 10_000;

  const stack = await createServiceStack(ctx, { apps: ALL_APPS, brokers });
  try {
    ctx.log('  starting the six services on the bench PostgreSQL server');
    await stack.start();
    const target = await prepareCatalog(stack);

    const load = (method: MethodName, concurrency: number, ms: number) =>
      runGhz({
        ghz,
        protoset,
        call: METHODS[method].call,
        address: target.stack.address(METHODS[method].app),
        // An array: ghz sends its requests round-robin, one product per call.
        data: target.skus.map((sku) => ({ items: [{ sku, quantity: 1 }] })),
        metadata: {
          authorization: `Bearer ${target.customer.token}`,
          'idempotency-key': 'bench-{{newUUID}}',
        },
        concurrency,
        maxCalls: MAX_CALLS_PER_RUN,
        maxDurationMs: ms,
      });
    const measured = async (method: MethodName, concurrency: number): Promise<Run> => {
      await settle();
      const meter = meterCpu();
      const result = await load(method, concurrency, durationMs);
      await settle();
      const used = meter.stop();
      const ok = Math.max(1, result.okCalls);
      const cpuPerCall = new Map<string, number>();
      let total = 0;
      for (const [role, ms] of used) {
        if (LOAD_GENERATORS.has(role)) continue;
        const key = (ROLES as readonly string[]).includes(role) ? role : 'other';
        cpuPerCall.set(key, (cpuPerCall.get(key) ?? 0) + ms / ok);
        total += ms / ok;
      }
      cpuPerCall.set('total', total);
      return { ghz: result, cpuPerCall };
    };

    for (const method of Object.keys(METHODS) as MethodName[]) {
      await load(method, 8, ctx.quick ? 1_000 : 3_000);
    }

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const method of Object.keys(METHODS) as MethodName[]) {
      for (const concurrency of concurrencies) {
        const results = await alternate(ctx.rounds, ['run'] as const, async (_, round) => {
          const run = await measured(method, concurrency);
          const r = run.ghz;
          ctx.log(
            `  ${method} c=${concurrency} round ${round + 1}: ` +
              `${r.callsPerSec.toFixed(0)}/s p50 ${r.p50Ms.toFixed(1)} ms ` +
              `p99 ${r.p99Ms.toFixed(1)} ms, CPU ${run.cpuPerCall.get('total')!.toFixed(2)} ms/call` +
              (r.errorCalls > 0 ? `, ${r.errorCalls} errors` : ''),
          );
          return run;
        });
        const list = results.run;
        const pick = (f: (r: GhzResult) => number) => summarize(list.map((run) => f(run.ghz)));
        const subject = `${method} c=${concurrency}`;
        const rate = pick((r) => r.callsPerSec);
        const p99 = pick((r) => r.p99Ms);
        const cpu = summarize(list.map((run) => run.cpuPerCall.get('total')!));
        const goalCase = method === 'PlaceOrder' && concurrency === 32;
        rows.push(
          {
            subject,
            metric: 'calls/s',
            unit: '',
            value: rate,
            ...(goalCase ? { goal: { text: '≥ 500/s', met: rate.median >= 500 } } : {}),
          },
          { subject, metric: 'p50', unit: 'ms', value: pick((r) => r.p50Ms) },
          {
            subject,
            metric: 'p99',
            unit: 'ms',
            value: p99,
            ...(goalCase ? { goal: { text: '< 100 ms', met: p99.median < 100 } } : {}),
          },
          {
            subject,
            metric: 'CPU per call, all processes',
            unit: 'ms',
            value: cpu,
            ...(goalCase ? { goal: { text: '≤ 4 ms', met: cpu.median <= 4 } } : {}),
          },
        );
        if (concurrency === 32) {
          for (const role of [...ROLES, 'other']) {
            rows.push({
              subject,
              metric: `CPU per call, ${role}`,
              unit: 'ms',
              value: summarize(list.map((run) => run.cpuPerCall.get(role) ?? 0)),
            });
          }
        }
        const failed = list.filter((run) => run.ghz.errorCalls > 0);
        if (failed.length > 0) {
          const errors = failed.reduce((sum, run) => sum + run.ghz.errorCalls, 0);
          notes.push(`${subject}: ${errors} failed calls, e.g. ${failed[0]?.ghz.topError}`);
        }
      }
    }
    return {
      title: TITLE,
      method:
        'The default stack: all six services as real processes (built from their main.ts, log ' +
        'level info) on the private broker, each with a fresh database on the bench PostgreSQL ' +
        'server; reporting consumes the orders and post/notification run idle, as for a user. A ' +
        `customer registered through auth; ${PRODUCTS} products with ` +
        `${STOCK.toLocaleString('en-US')} units each, created through the admin API. ghz sends ` +
        'one line of quantity 1 per call, round-robin over the products, with the customer token ' +
        `and a fresh \`idempotency-key\` ({{newUUID}}) per call, for ${durationMs / 1000} s per ` +
        `run on one connection; a warm-up run per method first, then ${ctx.rounds} runs at each ` +
        'concurrency. calls/s counts successful calls only. CPU per call: user + system time ' +
        'from /proc of every process the bench started except ghz (the six services, every ' +
        'PostgreSQL process, the broker), from just before a run until the stack is quiet again ' +
        `(under ${QUIET_SHARE * 100}% of a core for 250 ms, at most ${SETTLE_MAX_MS / 1000} s ` +
        'after the run, so the relay and the reporting consumer catching up are counted), ' +
        'divided by the successful calls; split per process at c=32.',
      rows,
      notes,
    };
  } finally {
    await stack.dispose();
  }
}
