// The edge gateway as a real process for the bench: its own main.ts, bundled
// by run-bench.mjs beside the bench, configured only through its environment
// (as `npm start` runs it) and ready once /healthz answers 200, which it does
// only when every upstream answers SERVING.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ServiceApp } from '@switchboard/testing';
import { freeBenchPort, sleep, type BenchContext } from './bench-context';
import { envKeyOf } from './service-stack';

/** The services the gateway fronts: it reads `<KEY>_ADDR` for each. */
export const EDGE_UPSTREAMS: readonly ServiceApp[] = [
  'auth-service',
  'inventory-service',
  'order-service',
  'post-service',
  'notification-service',
];

/**
 * Variables a developer's shell may set for `npm start`: inherited, they would
 * point the bench's gateway at another system, or at TLS the bench's services
 * do not serve.
 */
const DROPPED =
  /^(EDGE_[A-Z_]+|[A-Z]+_ADDR|TLS_(CERT_FILE|KEY_FILE|CA_FILE|CLIENT_AUTH)|SHUTDOWN_GRACE_MS|LOG_LEVEL)$/;
const START_TIMEOUT_MS = 60_000;
const OUTPUT_LIMIT = 64 * 1024;

export interface EdgeProcess {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** The last 64 KiB it wrote. */
  output(): string;
}

export async function startEdgeProcess(
  ctx: BenchContext,
  address: (app: ServiceApp) => string,
): Promise<EdgeProcess> {
  const port = await freeBenchPort();
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED.test(name)) env[name] = value;
  }
  Object.assign(env, {
    SWITCHBOARD_ENV: 'development',
    // As the services in the bench run: info, which for the edge is an access log line per request.
    LOG_LEVEL: 'info',
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: String(port),
    SHUTDOWN_GRACE_MS: '2000',
  });
  for (const app of EDGE_UPSTREAMS) env[`${envKeyOf(app)}_ADDR`] = address(app);

  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      // The same guard the services get: the gateway ends if the bench dies without stopping it.
      '--require',
      join(ctx.bundleDir, 'exit-with-parent.cjs'),
      join(ctx.bundleDir, 'edge-gateway', 'main.cjs'),
    ],
    { cwd: ctx.workspaceRoot, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  let output = '';
  // Always read: a gateway writing its access log into a full pipe would stall.
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_LIMIT));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = `spawn error: ${err.message}`;
      resolve();
    });
  });
  const stop = async () => {
    if (exit === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  ctx.onCleanup(stop);

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'no answer';
  for (;;) {
    if (exit !== undefined) {
      throw new Error(`the edge gateway exited (${exit}) before it was healthy:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the edge gateway was not healthy within ${START_TIMEOUT_MS / 1000} s (last: ${last}):\n${output}`,
      );
    }
    try {
      const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  return { origin, pid: child.pid ?? -1, stop, output: () => output };
}
