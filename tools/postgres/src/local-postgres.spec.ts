import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

// tools/postgres/local-postgres.mjs is plain ESM run by node itself (npm start,
// npm test), so these tests drive it as a real process too: through its
// command line, and through its exported API from a small ESM driver.
const script = resolve(__dirname, '../local-postgres.mjs');

const driver = `
  import { startLocalPostgres } from ${JSON.stringify(script)};
  const [dataDir, port] = process.argv.slice(1);
  try {
    const server = await startLocalPostgres({ dataDir, port: Number(port), log: () => {} });
    const { url, version, pid, reused } = server;
    console.log(JSON.stringify({ url, version, pid, reused }));
    process.stdin.on('data', async () => { await server.stop(); process.exit(0); });
  } catch (err) {
    console.log(JSON.stringify({ error: err.message }));
    process.exit(1);
  }`;

interface Started {
  url?: string;
  version?: string;
  pid?: number;
  reused?: boolean;
  error?: string;
}

interface Driven {
  result: Started;
  /** Calls stop() in the driver and waits for it to exit. */
  stop(): Promise<void>;
}

const drivers = new Set<ChildProcess>();

async function drive(dataDir: string, port: number): Promise<Driven> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', driver, dataDir, String(port)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  drivers.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => drivers.delete(child));
  let out = '';
  const result = await new Promise<Started>((resolveResult, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolveResult(JSON.parse(line) as Started);
    });
    void exited.then(() => reject(new Error(`driver exited without an answer: ${out}`)));
  });
  return {
    result,
    stop: async () => {
      child.stdin!.write('stop\n');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/** PIDs of processes whose command line names this folder: the server and its children. */
function processesUsing(folder: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(folder) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('local-postgres', () => {
  const folders: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-postgres-spec-'));
    folders.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const child of drivers) child.kill('SIGKILL');
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it('starts on a free port in a fresh folder, answers, is reused by a second start, and stops without a trace', async () => {
    const dataDir = join(tempDir(), 'pg');
    const port = await freePort();
    const first = await drive(dataDir, port);
    expect(first.result).toMatchObject({
      url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
      reused: false,
    });
    expect(first.result.version).toMatch(/^18\.\d+$/);
    const [row] = await query<{ version: string }>(first.result.url!, 'select version()');
    expect(row!.version).toContain('PostgreSQL 18');
    expect(alive(first.result.pid!)).toBe(true);
    expect(processesUsing(dataDir)).toContain(first.result.pid);

    // Same folder and port: the running server answers, so it is reused, not started twice.
    const second = await drive(dataDir, port);
    expect(second.result).toMatchObject({ reused: true, pid: first.result.pid });
    await second.stop();
    expect(await query(first.result.url!, 'select 1 as one')).toEqual([{ one: 1 }]);

    await first.stop();
    expect(alive(first.result.pid!)).toBe(false);
    expect(processesUsing(dataDir)).toEqual([]);
    await expect(query(first.result.url!, 'select 1')).rejects.toThrow('ECONNREFUSED');
  });

  it('keeps its data across a stop and a start on the same folder (no second initdb)', async () => {
    const dataDir = join(tempDir(), 'pg');
    const port = await freePort();
    const first = await drive(dataDir, port);
    await query(first.result.url!, 'create table kept (id int); insert into kept values (42)');
    await first.stop();
    const again = await drive(dataDir, port);
    expect(again.result.reused).toBe(false);
    expect(await query(again.result.url!, 'select id from kept')).toEqual([{ id: 42 }]);
    await again.stop();
  });

  it('on the command line: prints a ready line with the password masked, and SIGTERM leaves no process', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [script, '--data-dir', dataDir, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: 'postgres://app:s3cret-pw@127.0.0.1:5432/postgres' },
    });
    drivers.add(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const deadline = Date.now() + 60_000;
    while (!out.includes('ready:') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toMatch(
      new RegExp(`ready: postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/postgres in \\d+ ms`),
    );
    expect(out).not.toContain('s3cret-pw');
    // The URL's user and password are the server's; its data is under <data-dir>/postgres.
    const url = `postgres://app:s3cret-pw@127.0.0.1:${port}/postgres`;
    expect(await query(url, 'select current_user as who')).toEqual([{ who: 'app' }]);
    expect(readFileSync(join(dataDir, 'postgres', 'PG_VERSION'), 'utf8').trim()).toBe('18');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('server stopped');
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('refuses a bad port or data folder with a message that says what is wrong', async () => {
    const parent = tempDir();
    const file = join(parent, 'a-file');
    writeFileSync(file, 'x');
    expect((await drive(file, await freePort())).result.error).toContain(
      `cannot use ${file} as the data folder: it exists and is not a folder`,
    );
    const stranger = join(parent, 'not-a-cluster');
    mkdirSync(stranger);
    writeFileSync(join(stranger, 'notes.txt'), 'mine');
    expect((await drive(stranger, await freePort())).result.error).toContain(
      `${stranger} is not empty and holds no PostgreSQL cluster`,
    );
    expect((await drive(join(parent, 'x'), 70000)).result.error).toContain(
      'port must be a whole number from 1 to 65535 (got 70000)',
    );

    const cli = spawn(process.execPath, [script, '--port', 'abc'], { stdio: 'pipe' });
    let err = '';
    cli.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const code = await new Promise<number | null>((r) => cli.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('--port must be a port number (got "abc")');
  });
});
