import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Loaded by jest's globalSetup, which has no moduleNameMapper: node built-ins
// and relative imports only, never a workspace alias.

export interface LaunchedServer {
  /** What the launcher printed after "ready: ", e.g. amqp://guest:guest@127.0.0.1:40123. */
  readonly address: string;
  /** Stops the launcher (which stops its server) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Runs one of the local broker launchers (tools/<name>/local-<name>.mjs) with
 * `args` and resolves once it prints its "ready:" line; rejects with its
 * output if it exits or stays silent for `timeoutMs`.
 */
export async function startLauncher(
  tool: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<LaunchedServer> {
  const script = findScript(join('tools', tool, `local-${tool}.mjs`));
  const child = spawn(process.execPath, [script, ...args, '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const output: string[] = [];
  const readyLine = new RegExp(`\\[local-${tool}\\] ready: (\\S+)`);
  let stdout = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`local ${tool} was not ready within ${timeoutMs} ms:\n${output.join('')}`),
        ),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      stdout += chunk.toString('utf8');
      const match = readyLine.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`local ${tool} exited (code ${code}) before it was ready:\n${output.join('')}`),
      );
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, exited);
    throw err;
  });
  // Nobody reads the output from here on, but the pipes must keep draining.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  return { address, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
}

/** `relative` in the first folder above this file that has it (the workspace root). */
export function findScript(relative: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${__dirname}`);
  }
}
