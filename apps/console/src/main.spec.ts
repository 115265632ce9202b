import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  listeningUrl,
  spawnConsoleProcess,
  type ConsoleProcess,
} from './testing/start-console-process';

describe('the console process (main.ts, bundled)', () => {
  let uiDir: string;
  const started: ConsoleProcess[] = [];

  beforeAll(async () => {
    uiDir = await mkdtemp(join(tmpdir(), 'console-ui-'));
    await writeFile(join(uiDir, 'index.html'), '<!doctype html><title>console</title>');
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await rm(uiDir, { recursive: true, force: true });
  });

  it('serves health and the app from its config, and stops cleanly on SIGTERM', async () => {
    const app = await spawnConsoleProcess({ CONSOLE_UI_DIR: uiDir, LOG_LEVEL: 'info' });
    started.push(app);
    const url = await listeningUrl(app);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect(await (await fetch(`${url}/traces`)).text()).toContain('<title>console</title>');

    expect(await app.stop()).toBe(0);
    expect(app.lines().map((l) => l.msg)).toContain('stopped');
  }, 90_000);

  it('refuses to start on a non-loopback host without CONSOLE_ALLOW_REMOTE, naming the variable', async () => {
    const app = await spawnConsoleProcess({ CONSOLE_HOST: '0.0.0.0', CONSOLE_PORT: 'x' });
    started.push(app);
    expect(await app.exited).toBe(1);
    expect(app.errors()).toContain('invalid configuration for console');
    expect(app.errors()).toContain('CONSOLE_HOST: "0.0.0.0" is not a loopback address');
    expect(app.errors()).toContain('CONSOLE_PORT: must be a whole number');
  }, 90_000);
});
