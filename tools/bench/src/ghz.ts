// ghz, the gRPC load generator, driven from the bench: installed with
// `go install` at a pinned version when it is missing, fed a protoset built
// from proto/ by buf (so no server needs reflection), and its JSON report
// read back into calls/s and latency percentiles.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** The version the bench installs; v0.93.0 builds with the Go toolchain on the dev machines. */
export const GHZ_VERSION = 'v0.93.0';
const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz';

const run = promisify(execFile);

function goBinDirs(): string[] {
  const dirs = [];
  if (process.env.GOBIN) dirs.push(process.env.GOBIN);
  if (process.env.GOPATH)
    dirs.push(...process.env.GOPATH.split(delimiter).map((p) => join(p, 'bin')));
  dirs.push(join(homedir(), 'go', 'bin'));
  return dirs;
}

function onPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...goBinDirs()]) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The ghz binary, installed first with `go install` when none is found. */
export async function ensureGhz(log: (line: string) => void): Promise<string> {
  const found = onPath('ghz');
  if (found !== undefined) return found;
  const go =
    onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (go === undefined) {
    throw new Error(
      `ghz is not installed and there is no Go toolchain to install it with; install Go, then run: go install ${GHZ_MODULE}@${GHZ_VERSION}`,
    );
  }
  log(`installing ghz ${GHZ_VERSION} with go install (once)...`);
  await run(go, ['install', `${GHZ_MODULE}@${GHZ_VERSION}`], {
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const installed = onPath('ghz');
  if (installed === undefined)
    throw new Error('go install ghz succeeded but no ghz binary was found');
  return installed;
}

export interface Protoset {
  readonly file: string;
  dispose(): Promise<void>;
}

/** Every contract in proto/, compiled with its imports into one FileDescriptorSet. */
export async function buildProtoset(workspaceRoot: string): Promise<Protoset> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-'));
  const file = join(dir, 'switchboard.binpb');
  await run('npx', ['buf', 'build', '-o', file], { cwd: workspaceRoot, timeout: 120_000 });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export interface GhzRun {
  readonly ghz: string;
  readonly protoset: string;
  /** Fully qualified, e.g. switchboard.inventory.v1.InventoryService.GetProduct. */
  readonly call: string;
  readonly address: string;
  readonly data: unknown;
  /** ghz call template metadata: values may use {{.RequestNumber}} and {{newUUID}}. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly concurrency: number;
  /** Upper bound on calls; the run also stops at maxDurationMs, whichever comes first. */
  readonly maxCalls: number;
  readonly maxDurationMs: number;
  /** Connections the workers share; ghz's default is one. */
  readonly connections?: number;
  /** Fixed request rate (calls/s); unset means as fast as the workers go. */
  readonly rps?: number;
}

export interface GhzResult {
  /** Successful calls per second of wall time. */
  readonly callsPerSec: number;
  readonly okCalls: number;
  readonly errorCalls: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The most frequent error message, when there were errors. */
  readonly topError?: string;
}

interface GhzJsonReport {
  total: number;
  count: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
}

const NS_PER_MS = 1e6;

/** ghz processes running now, so that an interrupted bench can end them (by pid, ours only). */
const running = new Set<ChildProcess>();
let stopped = false;

/** Kills every ghz this process started and refuses new runs: the bench is being interrupted. */
export function stopGhzRuns(): void {
  stopped = true;
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Runs ghz once. The process is bounded twice: ghz's own -n/-x limits, and a
 * kill of the ghz process (ours, by pid) if it overruns those by a margin.
 */
export async function runGhz(options: GhzRun): Promise<GhzResult> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-ghz-'));
  const out = join(dir, 'report.json');
  const args = [
    '--insecure',
    '--protoset',
    options.protoset,
    '--call',
    options.call,
    '-d',
    JSON.stringify(options.data),
    '-c',
    String(options.concurrency),
    '-n',
    String(options.maxCalls),
    '-x',
    `${Math.ceil(options.maxDurationMs)}ms`,
    // Calls cut off by the time bound are left out, not counted as failures.
    '--duration-stop',
    'ignore',
    '-t',
    '10s',
    '--connections',
    String(options.connections ?? 1),
    '-O',
    'json',
    '-o',
    out,
  ];
  if (options.metadata !== undefined) args.push('-m', JSON.stringify(options.metadata));
  if (options.rps !== undefined) args.push('-r', String(options.rps));
  args.push(options.address);
  try {
    if (stopped) throw new Error('the bench is stopping');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(options.ghz, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      child.once('exit', () => running.delete(child));
      let stderr = '';
      child.stderr.on(
        'data',
        (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)),
      );
      const timer = setTimeout(() => child.kill('SIGKILL'), options.maxDurationMs + 30_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`ghz exited with ${signal ?? code}: ${stderr.trim()}`));
      });
    });
    const report = JSON.parse(await readFile(out, 'utf8')) as GhzJsonReport;
    return toResult(report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toResult(report: GhzJsonReport): GhzResult {
  const ok = report.statusCodeDistribution?.OK ?? 0;
  const errors = report.count - ok;
  const seconds = report.total / 1e9;
  const pct = (p: number) =>
    (report.latencyDistribution ?? []).find((d) => d.percentage === p)?.latency ?? Number.NaN;
  const topError = Object.entries(report.errorDistribution ?? {}).sort((a, b) => b[1] - a[1])[0];
  return {
    callsPerSec: seconds > 0 ? ok / seconds : 0,
    okCalls: ok,
    errorCalls: errors,
    p50Ms: pct(50) / NS_PER_MS,
    p99Ms: pct(99) / NS_PER_MS,
    ...(topError === undefined ? {} : { topError: `${topError[0]} (${topError[1]}×)` }),
  };
}
