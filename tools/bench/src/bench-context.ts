// What the orchestrator gives every measurement module: the run's settings,
// the shared tools (ghz, the protoset, a private broker), a progress log, and
// a place to register clean-up so nothing a module started outlives the run.
import { execFile } from 'node:child_process';
import { freePort, isWellKnownServicePort } from '@switchboard/testing';

export interface BenchSettings {
  /** The subset that runs in under 3 minutes: shorter runs, fewer cases. */
  readonly quick: boolean;
  /** Alternating rounds per comparison (at least 2). */
  readonly rounds: number;
}

export interface BenchContext extends BenchSettings {
  readonly workspaceRoot: string;
  /** Where the launcher put the bench's own bundles (child-process entries). */
  readonly bundleDir: string;
  log(line: string): void;
  /** The ghz binary, installed on first use. */
  ghz(): Promise<string>;
  /** Path of a FileDescriptorSet of every contract, built on first use. */
  protoset(): Promise<string>;
  /** The bench's private PostgreSQL server (maintenance database URL), up for the whole run. */
  readonly databaseServer: string;
  /** Bootstrap addresses of a private broker shared by the modules, started on first use. */
  sharedBroker(): Promise<string[]>;
  /** Runs at the end of the whole run (or on Ctrl-C), last registered first. */
  onCleanup(fn: () => Promise<void>): void;
}

/** A free loopback port outside 50051–50056, which `npm start` and the e2e test own. */
export async function freeBenchPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!isWellKnownServicePort(port)) return port;
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries `fn` until it resolves or `timeoutMs` passes (for eventually consistent set-up steps). */
export async function retryUntilResolved<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

export interface ToolRun {
  readonly cwd?: string;
  /** Killed (SIGTERM) after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs a command to completion and resolves with its stdout; rejects on a
 * non-zero exit with the end of its stderr. If the bench is interrupted
 * meanwhile, clean-up ends it (SIGTERM, by its pid) rather than leaving it
 * running on its own.
 */
export function runTool(
  ctx: BenchContext,
  command: string,
  args: readonly string[],
  options: ToolRun,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd ?? ctx.workspaceRoot,
        timeout: options.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        finished = true;
        if (err === null) resolve(stdout);
        else
          reject(
            new Error(
              `${command} ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`,
            ),
          );
      },
    );
    ctx.onCleanup(async () => {
      if (!finished) child.kill('SIGTERM');
    });
  });
}
