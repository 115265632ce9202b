// Measurement: what the HTTP edge costs. GetProduct and PlaceOrder, each three
// ways in alternating rounds at the same concurrency: direct gRPC to the
// service (ghz), and through the edge gateway as REST JSON and as Connect JSON
// (autocannon). The gateway runs as a real process in front of real services;
// every PlaceOrder carries the customer's token and a fresh Idempotency-Key,
// and the orders table is counted after each run, so a run whose successes
// did not all place an order is reported, not averaged away.
import { InventoryService, OrderService } from '@switchboard/contracts';
import pg from 'pg';
import type { ServiceApp } from '@switchboard/testing';
import type { BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { startEdgeProcess, EDGE_UPSTREAMS } from './edge-process';
import { runGhz, type GhzResult } from './ghz';
import { runHttpLoad } from './http-load';
import type { HttpLoadSpec } from './http-load-report';
import { meterCpu, reapedChildrenCpuMs } from './process-cpu';
import { createServiceStack } from './service-stack';
import { alternate, summarize, type Summary } from './stats';
import {
  LOAD_GENERATORS,
  MAX_CALLS_PER_RUN,
  PRODUCTS,
  STOCK,
  prepareCatalog,
  settle,
  type Target,
} from './sync-path';

const TITLE = 'Edge gateway: REST and Connect JSON vs direct gRPC';
const VARIANTS = ['direct gRPC', 'edge REST', 'edge Connect'] as const;
type Variant = (typeof VARIANTS)[number];
const BASELINE: Variant = 'direct gRPC';
/** The goals: the edge adds at most this much at p50 … */
const MAX_ADDED_P50_MS = 1.5;
/** … and keeps at least this share of direct gRPC's calls/s on GetProduct. */
const MIN_GET_PRODUCT_RATE = 0.6;
/** The concurrency the goals are judged at, as for the sync path's goals. */
const GOAL_CONCURRENCY = 32;

type RequestSpec = HttpLoadSpec['requests'][number];

interface Method {
  /** ghz's fully qualified method name. */
  readonly call: string;
  readonly app: ServiceApp;
  /** One ghz request body per product, sent round-robin. */
  ghzData(target: Target): unknown;
  /** One REST request per product, sent round-robin. */
  rest(target: Target): RequestSpec[];
  /** Connect's path and its JSON body for one product. */
  readonly connectPath: string;
  connectBody(sku: string): unknown;
  /** Places an order per call: fresh idempotency keys, and the orders table is counted. */
  readonly placesOrders: boolean;
}

const bearer = (target: Target) => ({ authorization: `Bearer ${target.customer.token}` });
const json = { 'content-type': 'application/json' } as const;
const orderLine = (sku: string) => ({ items: [{ sku, quantity: 1 }] });

const METHODS = {
  GetProduct: {
    call: `${InventoryService.typeName}.${InventoryService.method.getProduct.name}`,
    app: 'inventory-service',
    ghzData: (target) => target.skus.map((sku) => ({ sku })),
    rest: (target) =>
      target.skus.map((sku) => ({
        method: 'GET',
        path: `/v1/products/${encodeURIComponent(sku)}`,
        headers: bearer(target),
      })),
    connectPath: `/${InventoryService.typeName}/${InventoryService.method.getProduct.name}`,
    connectBody: (sku) => ({ sku }),
    placesOrders: false,
  },
  PlaceOrder: {
    call: `${OrderService.typeName}.${OrderService.method.placeOrder.name}`,
    app: 'order-service',
    ghzData: (target) => target.skus.map(orderLine),
    rest: (target) =>
      target.skus.map((sku) => ({
        method: 'POST',
        path: '/v1/orders',
        headers: { ...bearer(target), ...json },
        body: JSON.stringify(orderLine(sku)),
      })),
    connectPath: `/${OrderService.typeName}/${OrderService.method.placeOrder.name}`,
    connectBody: orderLine,
    placesOrders: true,
  },
} as const satisfies Record<string, Method>;
type MethodName = keyof typeof METHODS;

interface Run {
  readonly load: GhzResult;
  /** CPU ms per successful call: every process but the load tools ('total'), and the gateway alone. */
  readonly cpuTotal: number;
  readonly cpuEdge: number;
  /** What the load tool itself (ghz or autocannon, on the same cores) spent per successful call. */
  readonly cpuLoadTool: number;
  /** Rows the orders table grew by (PlaceOrder only). */
  readonly ordersPlaced?: number;
}

export async function measureEdgeOverhead(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  const concurrencies = ctx.quick ? [GOAL_CONCURRENCY] : [1, GOAL_CONCURRENCY];
  const durationMs = ctx.quick ? 3_000 : 10_000;

  const stack = await createServiceStack(ctx, { apps: EDGE_UPSTREAMS, brokers });
  let orders: pg.Client | undefined;
  let stopEdge = async () => {};
  try {
    ctx.log('  starting auth, inventory, order, post and notification, then the edge gateway');
    await stack.start();
    const target = await prepareCatalog(stack);
    const edge = await startEdgeProcess(ctx, (app) => stack.address(app));
    stopEdge = edge.stop;
    orders = new pg.Client({ connectionString: stack.databaseUrl('order-service') });
    await orders.connect();
    const countOrders = async () =>
      Number((await orders!.query<{ n: string }>('select count(*) as n from orders')).rows[0]!.n);

    const load = (name: MethodName, variant: Variant, concurrency: number, ms: number) => {
      const method: Method = METHODS[name];
      if (variant === 'direct gRPC') {
        return runGhz({
          ghz,
          protoset,
          call: method.call,
          address: stack.address(method.app),
          data: method.ghzData(target),
          metadata: {
            ...bearer(target),
            ...(method.placesOrders ? { 'idempotency-key': 'bench-{{newUUID}}' } : {}),
          },
          concurrency,
          maxCalls: MAX_CALLS_PER_RUN,
          maxDurationMs: ms,
        });
      }
      const requests =
        variant === 'edge REST'
          ? method.rest(target)
          : target.skus.map((sku) => ({
              method: 'POST',
              path: method.connectPath,
              headers: { ...bearer(target), ...json, 'connect-protocol-version': '1' },
              body: JSON.stringify(method.connectBody(sku)),
            }));
      return runHttpLoad(ctx, {
        origin: edge.origin,
        // One request in flight per connection: c connections are concurrency c.
        connections: concurrency,
        maxCalls: MAX_CALLS_PER_RUN,
        maxDurationMs: ms,
        requests,
        uniqueIdempotencyKey: method.placesOrders,
      });
    };

    const measured = async (name: MethodName, variant: Variant, concurrency: number) => {
      await settle();
      const before = METHODS[name].placesOrders ? await countOrders() : undefined;
      const meter = meterCpu();
      const reaped = reapedChildrenCpuMs();
      const result = await load(name, variant, concurrency, durationMs);
      const loadToolMs = reapedChildrenCpuMs() - reaped;
      await settle();
      const used = meter.stop();
      const ok = Math.max(1, result.okCalls);
      let total = 0;
      for (const [role, ms] of used) if (!LOAD_GENERATORS.has(role)) total += ms;
      const run: Run = {
        load: result,
        cpuTotal: total / ok,
        cpuEdge: (used.get('edge-gateway') ?? 0) / ok,
        cpuLoadTool: loadToolMs / ok,
        ...(before === undefined ? {} : { ordersPlaced: (await countOrders()) - before }),
      };
      return run;
    };

    // Warm-up: connections, JIT and caches on every path, unrecorded.
    for (const name of Object.keys(METHODS) as MethodName[]) {
      for (const variant of VARIANTS) await load(name, variant, 8, ctx.quick ? 1_000 : 3_000);
    }

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const name of Object.keys(METHODS) as MethodName[]) {
      for (const concurrency of concurrencies) {
        const runs = await alternate(ctx.rounds, VARIANTS, async (variant, round) => {
          const run = await measured(name, variant, concurrency);
          const r = run.load;
          ctx.log(
            `  ${name} c=${concurrency} ${variant} round ${round + 1}: ` +
              `${r.callsPerSec.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} ms ` +
              `p99 ${r.p99Ms.toFixed(1)} ms, CPU ${run.cpuTotal.toFixed(2)} ms/call` +
              (variant === BASELINE ? '' : ` (edge ${run.cpuEdge.toFixed(2)})`) +
              `, load tool ${run.cpuLoadTool.toFixed(2)} ms/call` +
              (r.errorCalls > 0 ? `, ${r.errorCalls} errors: ${r.topError}` : '') +
              (run.ordersPlaced === undefined ? '' : `, ${run.ordersPlaced} orders placed`),
          );
          return run;
        });
        const goals = concurrency === GOAL_CONCURRENCY;
        rows.push(...rowsOf(name, concurrency, runs, goals));
        notes.push(...problemsOf(name, concurrency, runs));
        if (goals) notes.push(...noiseOf(name, concurrency, runs));
      }
    }
    return {
      title: TITLE,
      method: methodText(ctx, durationMs, concurrencies),
      rows,
      notes,
    };
  } finally {
    await orders?.end().catch(() => undefined);
    await stopEdge();
    await stack.dispose();
  }
}

/** Value minus baseline, round by round: the rounds alternate, so each pair shares its moment. */
function pairedDifference(values: readonly number[], baseline: readonly number[]): Summary {
  return summarize(values.map((v, i) => v - (baseline[i] ?? Number.NaN)));
}

function rowsOf(
  name: MethodName,
  concurrency: number,
  runs: Record<Variant, Run[]>,
  goals: boolean,
): ResultRow[] {
  const pick = (variant: Variant, f: (run: Run) => number) => runs[variant].map(f);
  const rate = (r: Run) => r.load.callsPerSec;
  const p50 = (r: Run) => r.load.p50Ms;
  const rows: ResultRow[] = [];
  for (const variant of VARIANTS) {
    const subject = `${name} c=${concurrency}, ${variant}`;
    const vs = (f: (run: Run) => number) =>
      variant === BASELINE
        ? {}
        : { baseline: summarize(pick(BASELINE, f)), baselineName: BASELINE };
    const rateValue = summarize(pick(variant, rate));
    const rateGoal =
      goals && name === 'GetProduct' && variant !== BASELINE
        ? {
            goal: {
              text: `≥ ${MIN_GET_PRODUCT_RATE.toFixed(2)}× direct`,
              met:
                rateValue.median >= MIN_GET_PRODUCT_RATE * summarize(pick(BASELINE, rate)).median,
            },
          }
        : {};
    rows.push(
      { subject, metric: 'calls/s', unit: '', value: rateValue, ...vs(rate), ...rateGoal },
      { subject, metric: 'p50', unit: 'ms', value: summarize(pick(variant, p50)), ...vs(p50) },
    );
    if (variant !== BASELINE) {
      const added = pairedDifference(pick(variant, p50), pick(BASELINE, p50));
      rows.push({
        subject,
        metric: 'p50 added over direct gRPC',
        unit: 'ms',
        value: added,
        ...(goals
          ? { goal: { text: `≤ ${MAX_ADDED_P50_MS} ms`, met: added.median <= MAX_ADDED_P50_MS } }
          : {}),
      });
    }
    rows.push(
      {
        subject,
        metric: 'p99',
        unit: 'ms',
        value: summarize(pick(variant, (r) => r.load.p99Ms)),
        ...vs((r) => r.load.p99Ms),
      },
      // Per run, so one bad round shows in the spread instead of vanishing in a median.
      {
        subject,
        metric: 'failed calls per run',
        unit: '',
        value: summarize(pick(variant, (r) => r.load.errorCalls)),
      },
      {
        subject,
        metric: 'CPU per call, all processes',
        unit: 'ms',
        value: summarize(pick(variant, (r) => r.cpuTotal)),
        ...vs((r) => r.cpuTotal),
      },
    );
    if (variant !== BASELINE) {
      rows.push({
        subject,
        metric: 'CPU per call, edge-gateway',
        unit: 'ms',
        value: summarize(pick(variant, (r) => r.cpuEdge)),
      });
    }
    // Not part of "all processes", but taken from the same two cores.
    rows.push({
      subject,
      metric: `CPU per call, load tool (${variant === BASELINE ? 'ghz' : 'autocannon'})`,
      unit: 'ms',
      value: summarize(pick(variant, (r) => r.cpuLoadTool)),
    });
  }
  return rows;
}

/**
 * Failed calls, and successes that did not each place one order: both are
 * named under the table. A run may place up to `concurrency` more orders than
 * it counted, the calls in flight when its time ran out; never fewer.
 */
function problemsOf(name: MethodName, concurrency: number, runs: Record<Variant, Run[]>): string[] {
  const notes: string[] = [];
  for (const variant of VARIANTS) {
    const list = runs[variant];
    const subject = `${name} c=${concurrency}, ${variant}`;
    const failed = list.filter((run) => run.load.errorCalls > 0);
    if (failed.length > 0) {
      const errors = failed.reduce((sum, run) => sum + run.load.errorCalls, 0);
      notes.push(
        `${subject}: ${errors} FAILED calls in ${failed.length} of ${list.length} runs, ` +
          `e.g. ${failed[0]!.load.topError}`,
      );
    }
    const wrong = list.filter(
      (run) =>
        run.ordersPlaced !== undefined &&
        (run.ordersPlaced < run.load.okCalls || run.ordersPlaced > run.load.okCalls + concurrency),
    );
    for (const run of wrong) {
      notes.push(
        `${subject}: ${run.load.okCalls} successful calls but ${run.ordersPlaced} new orders ` +
          `(expected ${run.load.okCalls} to ${run.load.okCalls + concurrency})`,
      );
    }
  }
  return notes;
}

/**
 * A paired difference whose rounds fall on both sides of the goal: the
 * verdict on its median says more about the machine than about the edge.
 */
function noiseOf(name: MethodName, concurrency: number, runs: Record<Variant, Run[]>): string[] {
  const notes: string[] = [];
  const p50 = (r: Run) => r.load.p50Ms;
  for (const variant of VARIANTS) {
    if (variant === BASELINE) continue;
    const added = pairedDifference(runs[variant].map(p50), runs[BASELINE].map(p50));
    if (added.min <= MAX_ADDED_P50_MS && added.max > MAX_ADDED_P50_MS) {
      notes.push(
        `${name} c=${concurrency}, ${variant}: p50 added ranges from ${added.min.toFixed(1)} to ` +
          `${added.max.toFixed(1)} ms over the rounds, on both sides of the ${MAX_ADDED_P50_MS} ms ` +
          'goal: its verdict is within the noise of this run',
      );
    }
  }
  return notes;
}

function methodText(ctx: BenchContext, durationMs: number, concurrencies: number[]): string {
  return (
    'auth, inventory, order, post and notification as real processes (built from their ' +
    'main.ts, log level info) on the private broker and the bench PostgreSQL server, and the ' +
    'edge gateway as a real process in front of them (its main.ts, log level info: one access ' +
    `log line per request), all on the same machine. A customer registered through auth; ` +
    `${PRODUCTS} products with ${STOCK.toLocaleString('en-US')} units each. Three variants in ` +
    `alternating rounds (${VARIANTS.join(', ')}), ${ctx.rounds} rounds, ${durationMs / 1000} s ` +
    `per run, at concurrency ${concurrencies.join(' and ')}: direct gRPC is ghz on one ` +
    'connection; REST (`GET /v1/products/{sku}`, `POST /v1/orders`) and Connect JSON (`POST ' +
    '/<service>/<method>`, `application/json`) are autocannon with one connection per ' +
    'concurrent call (HTTP/1.1, no pipelining). Every call carries the bearer token and goes ' +
    'round-robin over the products; every PlaceOrder has a fresh idempotency key (ghz ' +
    '{{newUUID}}, autocannon a UUID per request) and one line of quantity 1, and the orders ' +
    'table is counted after each run to check that each success placed one order. calls/s ' +
    'counts successes only (2xx for HTTP); p50/p99 are of successful calls, from fractional ' +
    'milliseconds (autocannon timings taken per response, not its whole-millisecond ' +
    'histogram). "p50 added" is the edge p50 minus the direct p50 of the same round, the ' +
    `median of the rounds; goals at c=${GOAL_CONCURRENCY}. CPU per call: user + system time ` +
    'from /proc of every process the bench started except the load tools, until the stack is ' +
    'quiet again, divided by the successful calls; the gateway also on its own, and the load ' +
    "tool's own CPU (what the kernel charged the ghz or autocannon process when it ended) apart."
  );
}
