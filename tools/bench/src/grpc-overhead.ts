// Measurement 1: what libs/rpc costs on top of grpc-js. The same trivial
// unary method (InventoryService.GetProduct with a canned answer) is served
// by two processes, one through libs/rpc and one on a bare grpc-js server,
// and ghz loads each in turn, A B A B.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InventoryService } from '@switchboard/contracts';
import { freeBenchPort, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz, type GhzResult } from './ghz';
import { alternate, summarize } from './stats';

const TITLE = 'gRPC stack overhead: libs/rpc vs raw @grpc/grpc-js';
const CALL = `${InventoryService.typeName}.${InventoryService.method.getProduct.name}`;
const VARIANTS = ['libs/rpc', 'raw grpc-js'] as const;
type Variant = (typeof VARIANTS)[number];

interface BenchServer {
  readonly address: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startServer(ctx: BenchContext, variant: 'rpc' | 'raw'): Promise<BenchServer> {
  const port = await freeBenchPort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ctx.bundleDir, 'grpc-overhead-server.cjs'), variant, String(port)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  ctx.onCleanup(stop);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} server did not start`)), 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      // The rpc variant also logs JSON lines; only the bare port line means ready.
      if (/^\{"port":\d+\}$/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`${variant} server exited before it listened`)));
  });
  return { address: `127.0.0.1:${port}`, pid: child.pid ?? -1, stop };
}

export async function measureGrpcOverhead(ctx: BenchContext): Promise<SectionResult> {
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  const concurrency = 32;
  const durationMs = ctx.quick ? 3_000 : 10_000;
  const servers: Record<Variant, BenchServer> = {
    'libs/rpc': await startServer(ctx, 'rpc'),
    'raw grpc-js': await startServer(ctx, 'raw'),
  };
  try {
    const load = (variant: Variant, ms: number) =>
      runGhz({
        ghz,
        protoset,
        call: CALL,
        address: servers[variant].address,
        data: { sku: 'SKU-1' },
        concurrency,
        maxCalls: 2_000_000,
        maxDurationMs: ms,
      });
    // Warm-up: connections, JIT and grpc-js's buffers on both servers.
    for (const variant of VARIANTS) await load(variant, ctx.quick ? 1_000 : 3_000);
    const results = await alternate(ctx.rounds, VARIANTS, async (variant, round) => {
      const result = await load(variant, durationMs);
      ctx.log(
        `  round ${round + 1} ${variant}: ${result.callsPerSec.toFixed(0)} calls/s, p99 ${result.p99Ms.toFixed(2)} ms`,
      );
      return result;
    });
    const pick = (variant: Variant, f: (r: GhzResult) => number) =>
      summarize(results[variant].map(f));
    const rate = pick('libs/rpc', (r) => r.callsPerSec);
    const rawRate = pick('raw grpc-js', (r) => r.callsPerSec);
    const p99 = pick('libs/rpc', (r) => r.p99Ms);
    const rawP99 = pick('raw grpc-js', (r) => r.p99Ms);
    const subject = `GetProduct c=${concurrency}, libs/rpc`;
    const rows: ResultRow[] = [
      {
        subject,
        metric: 'calls/s',
        unit: '',
        value: rate,
        baseline: rawRate,
        baselineName: 'raw grpc-js',
        goal: { text: '≥ 0.80×', met: rate.median >= 0.8 * rawRate.median },
      },
      {
        subject,
        metric: 'p50',
        unit: 'ms',
        value: pick('libs/rpc', (r) => r.p50Ms),
        baseline: pick('raw grpc-js', (r) => r.p50Ms),
        baselineName: 'raw grpc-js',
      },
      {
        subject,
        metric: 'p99',
        unit: 'ms',
        value: p99,
        baseline: rawP99,
        baselineName: 'raw grpc-js',
        goal: { text: '≤ 1.25×', met: p99.median <= 1.25 * rawP99.median },
      },
    ];
    const errors = VARIANTS.flatMap((v) => results[v].filter((r) => r.errorCalls > 0));
    return {
      title: TITLE,
      method:
        `ghz ${durationMs / 1000} s per run at concurrency ${concurrency} on one connection against ` +
        'InventoryService.GetProduct answering a canned product, served by two processes: ' +
        'createRpcServer from libs/rpc (public access, logger at info) and a bare grpc-js server ' +
        'whose serializers use the same protobuf-es messages. One warm-up run each, then ' +
        `${ctx.rounds} alternating rounds; ratio = libs/rpc median / raw median.`,
      rows,
      notes:
        errors.length > 0 ? [`${errors.length} runs had failed calls: ${errors[0]?.topError}`] : [],
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}
