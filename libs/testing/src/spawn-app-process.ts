import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from './find-workspace-root';
import { bundleMain, spawnBundle } from './spawn-bundle';

/** An app (the edge, the console) bundled and running in a process of its own. */
export interface AppProcess {
  readonly child: ChildProcess;
  /** The JSON lines it wrote to stdout so far, parsed; other output is skipped. */
  lines(): Record<string, unknown>[];
  /** What it wrote to stderr so far (the last 8 KiB). */
  errors(): string;
  /** Resolves with the exit code (or signal) once it has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); its bundle is removed on exit. */
  stop(): Promise<number | string>;
}

const STOP_GRACE_MS = 20_000;

/**
 * Bundles `entry` (e.g. apps/console/src/main.ts) as `npm start` does and runs
 * it with `env` over the parent's environment, for what only a real process
 * shows: main.ts's own wiring, telemetry exported over OTLP/HTTP (which jest's
 * module sandbox refuses), signals and exit codes.
 */
export async function spawnAppProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
): Promise<AppProcess> {
  const root = findWorkspaceRoot(__dirname);
  const dir = join(root, 'dist', 'test-services', `${name}-${randomBytes(6).toString('hex')}`);
  const bundle = join(dir, 'main.cjs');
  await bundleMain(root, entry, bundle);
  const child = spawnBundle(root, bundle, { ...process.env, ...env });
  const parsed: Record<string, unknown>[] = [];
  let partial = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not one of its log lines.
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-8192)));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      done(signal ?? code ?? 'unknown');
    }),
  );
  return {
    child,
    lines: () => parsed,
    errors: () => errors,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        const outcome = await exited;
        clearTimeout(timer);
        return outcome;
      }
      return exited;
    },
  };
}

/**
 * Waits for the first log line whose `msg` is `msg` and returns it; fails with
 * what the process printed on stderr if it exits first or takes too long.
 */
export async function waitForLogLine(
  app: AppProcess,
  msg: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void app.exited.then(() => (ended = true));
  while (Date.now() < deadline) {
    const line = app.lines().find((l) => l.msg === msg);
    if (line !== undefined) return line;
    if (ended) throw new Error(`exited before logging "${msg}":\n${app.errors()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`did not log "${msg}" within ${timeoutMs} ms:\n${app.errors()}`);
}
