import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Bundles an app's entry point (e.g. apps/order-service/src/main.ts) into one
 * CommonJS file with the workspace's build script, as `npm start` does, so a
 * test or the bench runs exactly what ships. `outfile` is relative to `root`
 * or absolute.
 */
export async function bundleMain(root: string, entry: string, outfile: string): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [join(root, 'tools', 'scripts', 'bundle.mjs'), entry, outfile],
    { cwd: root },
  );
}

/**
 * Runs a bundle from bundleMain in a process of its own, stdout and stderr
 * piped to the caller. The process ends itself when its parent dies without
 * stopping it (exit-with-parent.cjs, found from `root`, since the bench runs
 * this code from a bundle of its own under dist/).
 */
export function spawnBundle(root: string, bundle: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      join(root, 'libs', 'testing', 'src', 'exit-with-parent.cjs'),
      bundle,
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
}
