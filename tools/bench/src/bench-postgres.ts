// The bench's own PostgreSQL server: the same embedded server `npm start`
// runs (tools/postgres/local-postgres.mjs), on a free loopback port with a
// throwaway data directory, so every figure is taken on the default stack and
// no run touches a server the user keeps data in.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freeBenchPort } from './bench-context';

export interface BenchPostgres {
  /** A URL to the server's maintenance database; services get their own databases on it. */
  readonly url: string;
  /** What the server printed as its version, e.g. "18.1". */
  readonly version: string;
  stop(): Promise<void>;
}

const READY = /ready: .* in \d+ ms/;
const START_TIMEOUT_MS = 120_000;

export async function startBenchPostgres(
  workspaceRoot: string,
  log: (line: string) => void,
): Promise<BenchPostgres> {
  const port = await freeBenchPort();
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-postgres-'));
  const env = { ...process.env };
  // The CLI takes its credentials from DATABASE_URL: the bench's must not follow the user's.
  delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    [
      join(workspaceRoot, 'tools', 'postgres', 'local-postgres.mjs'),
      '--data-dir',
      dataDir,
      '--port',
      String(port),
    ],
    { cwd: workspaceRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const output: string[] = [];
  let version = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start in ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 40) output.shift();
        version ||= /PostgreSQL (\d+(?:\.\d+)*)/.exec(line)?.[1] ?? '';
        if (READY.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`PostgreSQL exited with ${code} before it was ready:\n${output.join('\n')}`),
      );
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  log(`PostgreSQL ${version || '(version unknown)'} ready on 127.0.0.1:${port}`);
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, version, stop };
}
