import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = resolve(__dirname, '../../..');

export interface RunningStack {
  /** Everything `npm start` printed so far. */
  output(): string;
  /** Ctrl-C, as a user would; resolves with how `npm start` ended. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** PIDs of processes still carrying this run's marker in their environment. */
  leftovers(): number[];
}

/**
 * Starts the system exactly as the README says (`npm start`), with a private
 * DATA_DIR, and waits for its "all seven services are SERVING" line. DATABASE_URL
 * names a free port, so `postgres:serve` starts a fresh server with its data in
 * that DATA_DIR rather than reusing one at 5432 whose databases would carry
 * over from run to run.
 */
export async function startStack(
  timeoutMs: number,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
  const databasePort = await freePort();
  const marker = randomUUID();
  let out = '';
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${databasePort}/postgres`,
      SWITCHBOARD_RUN_MARKER: marker,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that interrupt() can signal the whole group the
    // way a terminal's Ctrl-C does (npm does not pass a lone SIGINT on).
    detached: true,
  });
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };

  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`stack not SERVING in time:\n${out.slice(-4000)}`)),
      timeoutMs,
    );
    const poll = setInterval(() => {
      if (out.includes('all seven services are SERVING')) {
        clearInterval(poll);
        clearTimeout(timer);
        resolveReady();
      }
    }, 200);
    void exited.then(({ code }) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before SERVING:\n${out.slice(-4000)}`));
    });
  }).catch((err: unknown) => {
    // Never leave a half-started stack behind a failed test run.
    signalGroup('SIGINT');
    setTimeout(() => signalGroup('SIGKILL'), 30_000).unref();
    throw err;
  });

  const leftovers = (): number[] => {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) {
          pids.push(Number(entry));
        }
      } catch {
        // the process ended while we looked, or is not ours to read
      }
    }
    return pids;
  };

  return {
    output: () => out,
    leftovers,
    async interrupt() {
      signalGroup('SIGINT');
      const ended = await exited;
      // npm itself dies of the SIGINT at once; what it started drains on its own.
      for (let i = 0; i < 300 && leftovers().length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      rmSync(dataDir, { recursive: true, force: true });
      return ended;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
