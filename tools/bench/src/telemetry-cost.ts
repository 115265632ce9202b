// Measurement: what telemetry costs on the synchronous path. Three stacks of
// real auth, inventory and order processes on PostgreSQL, alike but for
// OpenTelemetry: switched off (OTEL_SDK_DISABLED), on with no exporter (spans
// made, metrics served, nothing sent), and on with every span sampled and
// exported over OTLP/HTTP to a receiver on loopback. GetProduct and
// PlaceOrder at c=32, the three modes alternating round by round.
import { randomBytes } from 'node:crypto';
import { InventoryService, OrderService } from '@switchboard/contracts';
import { startOtlpReceiver } from '@switchboard/otlp-receiver';
import type { ServiceApp } from '@switchboard/testing';
import type { BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz, type GhzResult } from './ghz';
import { createServiceStack, loginAdmin, newCustomer, type ServiceStack } from './service-stack';
import { alternate, summarize } from './stats';

const TITLE = 'Telemetry cost: GetProduct and PlaceOrder at c=32';
const APPS: readonly ServiceApp[] = ['auth-service', 'inventory-service', 'order-service'];
const PRODUCTS = 16;
const STOCK = 1_000_000;
const CONCURRENCY = 32;

const MODES = ['off', 'no exporter', 'exporting'] as const;
type Mode = (typeof MODES)[number];

const METHODS = {
  GetProduct: {
    call: `${InventoryService.typeName}.${InventoryService.method.getProduct.name}`,
    app: 'inventory-service',
    data: (skus: readonly string[]) => skus.map((sku) => ({ sku })),
  },
  PlaceOrder: {
    call: `${OrderService.typeName}.${OrderService.method.placeOrder.name}`,
    app: 'order-service',
    data: (skus: readonly string[]) => skus.map((sku) => ({ items: [{ sku, quantity: 1 }] })),
  },
} as const satisfies Record<
  string,
  { call: string; app: ServiceApp; data: (skus: readonly string[]) => unknown[] }
>;
type MethodName = keyof typeof METHODS;

interface Target {
  readonly stack: ServiceStack;
  readonly token: string;
  readonly skus: readonly string[];
}

async function prepare(stack: ServiceStack): Promise<Target> {
  const admin = await loginAdmin(stack);
  const customer = await newCustomer(stack, 'bench-telemetry');
  const inventory = stack.client(InventoryService, 'inventory-service');
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const skus: string[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const sku = `TELE-${tag}-${i}`;
    await inventory.createProduct(
      {
        sku,
        name: `Telemetry bench product ${i}`,
        unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
        initialQuantity: STOCK,
      },
      admin.auth,
    );
    skus.push(sku);
  }
  return { stack, token: customer.token, skus };
}

export async function measureTelemetryCost(ctx: BenchContext): Promise<SectionResult> {
  const brokers = await ctx.sharedBroker();
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  const durationMs = ctx.quick ? 3_000 : 10_000;
  // Large bounds: the receiver keeps up, so the exporter never drops for want of room.
  const receiver = await startOtlpReceiver({
    port: 0,
    maxBodyBytes: 64 * 1024 * 1024,
  });
  const envOf: Record<Mode, Record<string, string>> = {
    off: { OTEL_SDK_DISABLED: 'true' },
    'no exporter': {},
    exporting: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'always_on',
    },
  };
  const targets = new Map<Mode, Target>();
  const stacks: ServiceStack[] = [];
  try {
    ctx.log('  starting auth, inventory and order three times: telemetry off, on, exporting');
    for (const mode of MODES) {
      const stack = await createServiceStack(ctx, {
        apps: APPS,
        brokers,
        env: envOf[mode],
      });
      stacks.push(stack);
      await stack.start();
      targets.set(mode, await prepare(stack));
    }

    const load = (mode: Mode, method: MethodName, ms: number) => {
      const target = targets.get(mode)!;
      return runGhz({
        ghz,
        protoset,
        call: METHODS[method].call,
        address: target.stack.address(METHODS[method].app),
        data: METHODS[method].data(target.skus),
        metadata: {
          authorization: `Bearer ${target.token}`,
          'idempotency-key': 'bench-{{newUUID}}',
        },
        concurrency: CONCURRENCY,
        maxCalls: 200_000,
        maxDurationMs: ms,
      });
    };
    for (const mode of MODES) {
      for (const method of Object.keys(METHODS) as MethodName[]) await load(mode, method, 1_000);
    }

    const rows: ResultRow[] = [];
    const notes: string[] = [];
    for (const method of Object.keys(METHODS) as MethodName[]) {
      const results = await alternate(ctx.rounds, MODES, async (mode, round) => {
        const result = await load(mode, method, durationMs);
        ctx.log(
          `  ${method} c=${CONCURRENCY} telemetry ${mode} round ${round + 1}: ` +
            `${result.callsPerSec.toFixed(0)}/s p99 ${result.p99Ms.toFixed(1)} ms`,
        );
        return result;
      });
      const pick = (mode: Mode, f: (r: GhzResult) => number) => summarize(results[mode].map(f));
      for (const mode of ['no exporter', 'exporting'] as const) {
        const subject = `${method} c=${CONCURRENCY}, telemetry ${mode}`;
        const rate = pick(mode, (r) => r.callsPerSec);
        const rateOff = pick('off', (r) => r.callsPerSec);
        const p99 = pick(mode, (r) => r.p99Ms);
        const p99Off = pick('off', (r) => r.p99Ms);
        const goalCase = mode === 'exporting';
        rows.push(
          {
            subject,
            metric: 'calls/s',
            unit: '',
            value: rate,
            baseline: rateOff,
            baselineName: 'telemetry off',
            ...(goalCase
              ? { goal: { text: '≥ 0.90× off', met: rate.median >= 0.9 * rateOff.median } }
              : {}),
          },
          {
            subject,
            metric: 'p99',
            unit: 'ms',
            value: p99,
            baseline: p99Off,
            baselineName: 'telemetry off',
            ...(goalCase
              ? { goal: { text: '≤ 1.15× off', met: p99.median <= 1.15 * p99Off.median } }
              : {}),
          },
        );
      }
      for (const mode of MODES) {
        const errors = results[mode].reduce((sum, r) => sum + r.errorCalls, 0);
        if (errors > 0) notes.push(`${method}, telemetry ${mode}: ${errors} failed calls`);
      }
    }
    const stats = receiver.stats();
    notes.push(
      `The receiver got ${stats.spans.toLocaleString('en-US')} spans in ` +
        `${stats.requests.toLocaleString('en-US')} requests (${stats.refusedRequests} refused).`,
    );
    return {
      title: TITLE,
      method:
        'Three stacks of real auth-service, inventory-service and order-service processes on ' +
        'PostgreSQL and the private broker, identical but for OpenTelemetry: `OTEL_SDK_DISABLED=true`; ' +
        'on with no endpoint (spans made for logs and propagation, /metrics served, nothing ' +
        'exported); on with `OTEL_TRACES_SAMPLER=always_on` exporting every span and metric over ' +
        'OTLP http/protobuf to an in-process receiver (libs/otlp-receiver) on loopback. ghz at ' +
        `c=${CONCURRENCY} for ${durationMs / 1000} s per run; after a warm-up per stack and method, ` +
        `the three modes alternate for ${ctx.rounds} rounds. Ratios are against telemetry off.`,
      rows,
      notes,
    };
  } finally {
    for (const stack of stacks) await stack.dispose();
    await receiver.close();
  }
}
