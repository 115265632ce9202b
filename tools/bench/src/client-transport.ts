// Measurement 2: the client transport micro-benchmark from "Foundation"
// (tools/bench/src/client-transport-bench.ts), run as it is, in a process of
// its own, and its table read back into rows. It already alternates its two
// transports round by round and reports medians with min–max.
import { runTool, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import type { Summary } from './stats';

const TITLE = 'Client transport: libs/rpc grpc-js transport vs connect-node gRPC transport';
const CONNECT = 'connect-node createGrpcTransport';
const GRPC_JS = 'libs/rpc createGrpcJsTransport';

interface Line {
  transport: string;
  phase: string;
  cpu: Summary;
  rate: Summary;
}

function range(median: string, span: string): Summary {
  const [min = Number.NaN, max = Number.NaN] = span.split('-').map(Number);
  return { median: Number(median), min, max, samples: [] };
}

/** Its rows are fixed-width: transport (34), phase (24), then four numeric columns. */
export function parseTransportTable(output: string): Line[] {
  const lines: Line[] = [];
  for (const text of output.split('\n')) {
    const transport = text.slice(0, 34).trim();
    if (transport !== CONNECT && transport !== GRPC_JS) continue;
    const phase = text.slice(34, 58).trim();
    const [cpu, cpuSpan, rate, rateSpan] = text.slice(58).trim().split(/\s+/);
    if (cpu === undefined || cpuSpan === undefined || rate === undefined || rateSpan === undefined)
      continue;
    lines.push({ transport, phase, cpu: range(cpu, cpuSpan), rate: range(rate, rateSpan) });
  }
  return lines;
}

export async function measureClientTransport(ctx: BenchContext): Promise<SectionResult> {
  const rounds = ctx.quick ? ctx.rounds : Math.max(ctx.rounds, 4);
  const calls = ctx.quick ? 1_000 : 3_000;
  const stdout = await runTool(
    ctx,
    process.execPath,
    [
      'tools/scripts/run-ts.mjs',
      'tools/bench/src/client-transport-bench.ts',
      String(rounds),
      String(calls),
    ],
    { timeoutMs: 600_000 },
  );
  const lines = parseTransportTable(stdout);
  const rows: ResultRow[] = [];
  for (const mine of lines.filter((l) => l.transport === GRPC_JS)) {
    const theirs = lines.find((l) => l.transport === CONNECT && l.phase === mine.phase);
    const subject = `grpc-js transport, ${mine.phase}`;
    const base = theirs === undefined ? {} : { baselineName: 'connect-node' };
    rows.push(
      {
        subject,
        metric: 'client CPU',
        unit: 'µs/call',
        value: mine.cpu,
        baseline: theirs?.cpu,
        ...base,
      },
      { subject, metric: 'calls/s', unit: '', value: mine.rate, baseline: theirs?.rate, ...base },
    );
  }
  if (rows.length === 0) throw new Error(`could not read the transport bench's table:\n${stdout}`);
  return {
    title: TITLE,
    method:
      'tools/bench/src/client-transport-bench.ts as it stands: a libs/rpc server in a child ' +
      'process answers GetProduct; the bench process calls it through each transport ' +
      `(${calls} calls sequentially and at concurrency 32), ${rounds} alternating rounds after a ` +
      'warm-up, and reports the client process CPU time (process.cpuUsage) per call. ' +
      'Spread is min–max as that script reports it.',
    rows,
    notes: [],
  };
}
