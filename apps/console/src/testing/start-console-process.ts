// Test support: the console as `npm start` runs it, main.ts bundled in a
// process of its own. Not shipped.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleMain, spawnBundle } from '@switchboard/testing';

export interface ConsoleProcess {
  readonly child: ChildProcess;
  /** The JSON lines it wrote to stdout so far. */
  lines(): Record<string, unknown>[];
  /** What it wrote to stderr so far (the last 8 KiB). */
  errors(): string;
  /** Resolves with the exit code (or signal) once it has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); removes its bundle. */
  stop(): Promise<number | string>;
}

const root = resolve(__dirname, '../../../..');

/** Bundles and spawns the console with `env` over a test's defaults (free ports, development). */
export async function spawnConsoleProcess(env: Record<string, string>): Promise<ConsoleProcess> {
  const dir = join(root, 'dist', 'test-services', `console-${randomBytes(6).toString('hex')}`);
  const bundle = join(dir, 'main.cjs');
  await bundleMain(root, 'apps/console/src/main.ts', bundle);
  const child = spawnBundle(root, bundle, {
    ...process.env,
    SWITCHBOARD_ENV: 'development',
    CONSOLE_HOST: '127.0.0.1',
    CONSOLE_PORT: '0',
    CONSOLE_METRICS_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    ...env,
  });
  const parsed: Record<string, unknown>[] = [];
  let partial = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
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
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const outcome = await exited;
        clearTimeout(timer);
        return outcome;
      }
      return exited;
    },
  };
}

/** Waits for the line `console listening` and returns its url, or fails with what it printed. */
export async function listeningUrl(app: ConsoleProcess, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void app.exited.then(() => (ended = true));
  while (Date.now() < deadline) {
    const line = app.lines().find((l) => l.msg === 'console listening');
    if (line !== undefined) return String(line.url);
    if (ended) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the console did not start:\n${app.errors()}`);
}
