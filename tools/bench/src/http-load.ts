// HTTP load for the bench: autocannon (a pinned devDependency), run in a
// child process (autocannon-runner.cjs, bundled beside the bench) and read
// back into the same result shape as a ghz run, so a table can set HTTP
// variants beside direct gRPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext } from './bench-context';
import type { GhzResult } from './ghz';
import { parseHttpLoadReport, toLoadResult, type HttpLoadSpec } from './http-load-report';

/** Runners alive now, so that an interrupted bench ends them (ours, by pid). */
const running = new Set<ChildProcess>();
let stopped = false;

/** Kills every runner this process started and refuses new runs: the bench is being interrupted. */
export function stopHttpLoadRuns(): void {
  stopped = true;
  for (const child of running) child.kill('SIGKILL');
}

export interface HttpLoadRun extends Omit<HttpLoadSpec, 'durationSec' | 'timeoutSec'> {
  readonly maxDurationMs: number;
}

/**
 * One autocannon run. Bounded three times: the call count, the duration, and
 * a kill of the runner (by pid) if it overruns those by a margin.
 */
export async function runHttpLoad(ctx: BenchContext, run: HttpLoadRun): Promise<GhzResult> {
  if (stopped) throw new Error('the bench is stopping');
  const spec: HttpLoadSpec = {
    origin: run.origin,
    connections: run.connections,
    durationSec: run.maxDurationMs / 1000,
    maxCalls: run.maxCalls,
    // As ghz's -t 10s.
    timeoutSec: 10,
    requests: run.requests,
    uniqueIdempotencyKey: run.uniqueIdempotencyKey,
  };
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ctx.bundleDir, 'autocannon-runner.cjs'), JSON.stringify(spec)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), run.maxDurationMs + 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`autocannon runner exited with ${signal ?? code}: ${stderr.trim()}`));
    });
  });
  const line = output.trim().split('\n').pop() ?? '';
  return toLoadResult(parseHttpLoadReport(line));
}
