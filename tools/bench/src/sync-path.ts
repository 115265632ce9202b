// Measurement 3: the synchronous path under ghz. Real auth, inventory and
// order processes, once on PostgreSQL and once on PGlite (both stacks up for
// the whole section), loaded with CheckAvailability (inventory, token checked
// with auth) and PlaceOrder (order: token check, stock reservation in
// inventory, order + outbox in one transaction, commit) at several
// concurrencies. The two backends alternate run by run.
import { randomBytes } from 'node:crypto';
import { InventoryService, OrderService } from '@switchboard/contracts';
import type { ServiceApp } from '@switchboard/testing';
import type { BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz, type GhzResult } from './ghz';
import {
  backendName,
  createServiceStack,
  loginAdmin,
  newCustomer,
  type Backend,
  type BenchUser,
  type ServiceStack,
} from './service-stack';
import { alternate, summarize } from './stats';

const TITLE = 'CheckAvailability and PlaceOrder under ghz';
const APPS: readonly ServiceApp[] = ['auth-service', 'inventory-service', 'order-service'];
const BACKENDS: readonly Backend[] = ['postgres', 'pglite'];
/** Orders spread over this many products, as a catalog would; each has the maximum stock. */
const PRODUCTS = 16;
const STOCK = 1_000_000;
/** Per-run ceiling on calls, far below the stock PRODUCTS × STOCK can serve over a whole run. */
const MAX_CALLS_PER_RUN = 200_000;

interface Target {
  readonly stack: ServiceStack;
  readonly customer: BenchUser;
  readonly skus: readonly string[];
}

async function prepare(stack: ServiceStack): Promise<Target> {
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

export async function measureSyncPath(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  const concurrencies = ctx.quick ? [8, 32] : [1, 8, 32, 64];
  const durationMs = ctx.quick ? 2_000 : 10_000;

  const targets = new Map<Backend, Target>();
  const stacks: ServiceStack[] = [];
  try {
    ctx.log('  starting auth, inventory and order on PostgreSQL and on PGlite');
    for (const backend of BACKENDS) {
      stacks.push(await createServiceStack(ctx, { apps: APPS, backend, brokers }));
    }
    await Promise.all(stacks.map((stack) => stack.start()));
    for (const stack of stacks) targets.set(stack.backend, await prepare(stack));

    const load = (backend: Backend, method: MethodName, concurrency: number, ms: number) => {
      const target = targets.get(backend)!;
      return runGhz({
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
    };

    for (const backend of BACKENDS) {
      for (const method of Object.keys(METHODS) as MethodName[]) {
        await load(backend, method, 8, ctx.quick ? 1_000 : 3_000);
      }
    }

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const method of Object.keys(METHODS) as MethodName[]) {
      for (const concurrency of concurrencies) {
        const results = await alternate(ctx.rounds, BACKENDS, async (backend, round) => {
          const result = await load(backend, method, concurrency, durationMs);
          ctx.log(
            `  ${method} c=${concurrency} ${backendName[backend]} round ${round + 1}: ` +
              `${result.callsPerSec.toFixed(0)}/s p50 ${result.p50Ms.toFixed(1)} ms ` +
              `p99 ${result.p99Ms.toFixed(1)} ms${result.errorCalls > 0 ? `, ${result.errorCalls} errors` : ''}`,
          );
          return result;
        });
        for (const backend of BACKENDS) {
          const list = results[backend];
          const pick = (f: (r: GhzResult) => number) => summarize(list.map(f));
          const subject = `${method} c=${concurrency}, ${backendName[backend]}`;
          const rate = pick((r) => r.callsPerSec);
          const p99 = pick((r) => r.p99Ms);
          const goalCase = method === 'PlaceOrder' && concurrency === 32 && backend === 'postgres';
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
              ...(goalCase ? { goal: { text: '< 50 ms', met: p99.median < 50 } } : {}),
            },
          );
          const failed = list.filter((r) => r.errorCalls > 0);
          if (failed.length > 0) {
            const errors = failed.reduce((sum, r) => sum + r.errorCalls, 0);
            notes.push(`${subject}: ${errors} failed calls, e.g. ${failed[0]?.topError}`);
          }
        }
      }
    }
    return {
      title: TITLE,
      method:
        'Real auth-service, inventory-service and order-service processes (built from their ' +
        'main.ts, log level info) on the private broker, one stack per backend: a fresh database ' +
        'per service on the PostgreSQL server, or embedded PGlite. A customer registered through ' +
        `auth; ${PRODUCTS} products with ${STOCK.toLocaleString('en-US')} units each, created ` +
        'through the admin API. ghz sends one line of quantity 1 per call, round-robin over ' +
        'the products, with the customer token and a fresh `idempotency-key` ({{newUUID}}) per ' +
        `call, for ${durationMs / 1000} s per run on one connection. After a warm-up run per ` +
        `method and backend, the two backends (both stacks up throughout) alternate for ${ctx.rounds} rounds at each ` +
        'concurrency. calls/s counts successful calls only.',
      rows,
      notes,
    };
  } finally {
    for (const stack of stacks) await stack.dispose();
  }
}
