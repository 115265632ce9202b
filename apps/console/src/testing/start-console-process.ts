// Test support: the console as `npm start` runs it, main.ts bundled in a
// process of its own. Not shipped.
import { spawnAppProcess, waitForLogLine, type AppProcess } from '@switchboard/testing';

export type ConsoleProcess = AppProcess;

/** Bundles and spawns the console with `env` over a test's defaults (free ports, development). */
export function spawnConsoleProcess(env: Record<string, string>): Promise<ConsoleProcess> {
  return spawnAppProcess('console', 'apps/console/src/main.ts', {
    SWITCHBOARD_ENV: 'development',
    CONSOLE_HOST: '127.0.0.1',
    CONSOLE_PORT: '0',
    CONSOLE_METRICS_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    ...env,
  });
}

/** Waits for the line `console listening` and returns its url, or fails with what it printed. */
export async function listeningUrl(app: ConsoleProcess, timeoutMs = 30_000): Promise<string> {
  const line = await waitForLogLine(app, 'console listening', timeoutMs).catch((err: Error) => {
    throw new Error(`the console did not start: ${err.message}`);
  });
  return String(line.url);
}
