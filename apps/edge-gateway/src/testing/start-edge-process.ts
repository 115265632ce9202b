import { spawnAppProcess, waitForLogLine } from '@switchboard/testing';

export interface EdgeProcess {
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The JSON lines it has written to stdout so far, parsed. */
  lines(): Record<string, unknown>[];
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); removes its bundle. */
  stop(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it: main.ts bundled, in its own process,
 * configured only through its environment. For what only a real process
 * shows: telemetry started by main.ts and exported over OTLP/HTTP, which the
 * exporter cannot do inside jest (it loads node's http through a dynamic
 * import that jest's module sandbox refuses). EDGE_PORT and EDGE_METRICS_PORT
 * default to 0; resolves once it logs that it listens.
 */
export async function startEdgeProcess(env: Record<string, string>): Promise<EdgeProcess> {
  const app = await spawnAppProcess('edge-gateway', 'apps/edge-gateway/src/main.ts', {
    SWITCHBOARD_ENV: 'development',
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: '0',
    EDGE_METRICS_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    ...env,
  });
  const stop = async () => {
    await app.stop();
  };
  try {
    const listening = await waitForLogLine(app, 'edge gateway listening');
    return { pid: app.child.pid!, url: String(listening.url), lines: app.lines, stop };
  } catch (err) {
    await stop();
    throw new Error(`the edge gateway did not start: ${(err as Error).message}`);
  }
}
