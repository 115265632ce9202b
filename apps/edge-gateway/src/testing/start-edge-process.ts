import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleMain, spawnBundle } from '@switchboard/testing';

export interface EdgeProcess {
  readonly pid: number;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The JSON lines it has written to stdout so far, parsed. */
  lines(): Record<string, unknown>[];
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s); removes its bundle. */
  stop(): Promise<void>;
}

const root = resolve(__dirname, '../../../..');
const STOP_GRACE_MS = 20_000;

/**
 * The gateway as `npm start` runs it: main.ts bundled, in its own process,
 * configured only through its environment. For what only a real process
 * shows: telemetry started by main.ts and exported over OTLP/HTTP, which the
 * exporter cannot do inside jest (it loads node's http through a dynamic
 * import that jest's module sandbox refuses). EDGE_PORT and EDGE_METRICS_PORT
 * default to 0; resolves once it logs that it listens.
 */
export async function startEdgeProcess(env: Record<string, string>): Promise<EdgeProcess> {
  const dir = join(root, 'dist', 'test-services', `edge-gateway-${randomBytes(6).toString('hex')}`);
  const bundle = join(dir, 'main.cjs');
  await bundleMain(root, 'apps/edge-gateway/src/main.ts', bundle);
  const child = spawnBundle(root, bundle, {
    ...process.env,
    SWITCHBOARD_ENV: 'development',
    EDGE_HOST: '127.0.0.1',
    EDGE_PORT: '0',
    EDGE_METRICS_PORT: '0',
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
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not one of its log lines.
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-8192)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    cleanUp();
  }

  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const finish = (outcome: () => void) => {
        clearInterval(poll);
        clearTimeout(late);
        outcome();
      };
      const poll = setInterval(() => {
        const listening = parsed.find((l) => l.msg === 'edge gateway listening');
        if (listening !== undefined) finish(() => resolveUrl(String(listening.url)));
      }, 20);
      const late = setTimeout(
        () => finish(() => reject(new Error(`the edge gateway did not listen in 60 s: ${errors}`))),
        60_000,
      );
      void exited.then(() =>
        finish(() => reject(new Error(`the edge gateway exited at start: ${errors}`))),
      );
    });
    return { pid: child.pid!, url, lines: () => parsed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
