#!/usr/bin/env node
// ElasticMQ, an SQS-compatible server, for development and tests, without
// Docker: the server's jars fetched once with Maven (like tools/kafka's), run
// with Java on loopback, configured by a file written under DATA_DIR. Queues
// are created by the SQS work queue itself (CreateQueue), as on AWS.
//
// Plain ESM JavaScript (no TypeScript) so it runs before anything is built.
//   1. an SQS endpoint already answering on 127.0.0.1:ELASTICMQ_PORT: reuse it and idle;
//   2. Java 17+ and Maven (or cached jars): run org.elasticmq.server.Main;
//   3. otherwise say what to install and exit 1.
//
// ElasticMQ keeps messages in memory: a restart empties its queues. That is
// the local stand-in's limit, not SQS's (which is durable).
//
// Usage: node tools/elasticmq/local-elasticmq.mjs [jars] [--port N] [--data-dir DIR] [--quiet]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { guardAgainstOrphan } from '../scripts/guard-against-orphan.mjs';
import { followOutput, runCommand, safeKill, timed } from '../scripts/run-command.mjs';

const ELASTICMQ_VERSION = '1.6.11';
const MIN_JAVA = 17;
const PREFIX = '[local-elasticmq]';
const HOST = '127.0.0.1';
const here = dirname(fileURLToPath(import.meta.url));
const parentPid = process.ppid;
const startedAt = Date.now();

const usage = `usage: node tools/elasticmq/local-elasticmq.mjs [jars] [options]

  (no command)    start ElasticMQ on ${HOST} (or reuse one already answering) and run until SIGINT/SIGTERM
  jars            only fetch the server's jars into the cache, then exit

options:
  --port N        SQS port (default: ELASTICMQ_PORT or 9324)
  --data-dir DIR  parent of <DIR>/elasticmq, which holds the config file and the log (default: DATA_DIR or ./.data)
  --quiet         keep the server's output out of the console (it still goes to the log)

env: ELASTICMQ_PORT, DATA_DIR, SWITCHBOARD_CACHE (~/.cache/switchboard), ELASTICMQ_START_TIMEOUT_MS (120000)
a client sets QUEUE_URL=http://${HOST}:<port>/000000000000/<queue> and any AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`;

let options;
try {
  options = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  fail(`${err.message}\n\n${usage}`, 2);
}
const { values: flags, positionals } = options;
if (flags.help) {
  console.log(usage);
  process.exit(0);
}
const command = positionals[0] ?? 'serve';
if (!['serve', 'jars'].includes(command) || positionals.length > 1) fail(usage, 2);

const cacheRoot = resolve(
  process.env.SWITCHBOARD_CACHE || join(homedir(), '.cache', 'switchboard'),
);
const home = join(cacheRoot, `elasticmq-${ELASTICMQ_VERSION}`);
const libsDir = join(home, 'libs');
const stampFile = join(home, '.complete');
const pomFile = join(here, 'pom.xml');

if (command === 'jars') {
  await ensureJars();
  console.log(`${PREFIX} jars ready in ${libsDir}`);
  process.exit(0);
}

const port = parsePort(flags.port ?? process.env.ELASTICMQ_PORT ?? '9324', '--port');
const dataDir = resolve(flags['data-dir'] ?? process.env.DATA_DIR ?? './.data');
const serverDir = join(dataDir, 'elasticmq');
const endpoint = `http://${HOST}:${port}`;

if (await sqsAnswers(port)) {
  console.log(
    `${PREFIX} ready: ${endpoint} (reusing the server that already answers there; idle until stopped)`,
  );
  await idleUntilStopped();
}

const javaMajor = detectJavaMajor();
if (javaMajor === undefined || javaMajor < MIN_JAVA) {
  fail(
    `cannot start ElasticMQ: ${javaMajor === undefined ? 'no java on PATH' : `java ${javaMajor} is too old`}. ` +
      `Install Java ${MIN_JAVA}+ and Maven (e.g. apt-get install openjdk-17-jre-headless maven), ` +
      'or run `docker compose -f docker-compose.queues.yml up elasticmq`.',
  );
}
await runServer();

// ---------------------------------------------------------------------------

async function runServer() {
  const jarsMs = await timed(ensureJars);
  mkdirSync(serverDir, { recursive: true });
  const configFile = join(serverDir, 'elasticmq.conf');
  // Rewritten every start so a changed port applies too.
  writeFileSync(
    configFile,
    [
      '# Written by tools/elasticmq/local-elasticmq.mjs on every start; edits are overwritten.',
      'include classpath("application.conf")',
      // Queue URLs the server hands out point at loopback, where it listens.
      `node-address { protocol = http, host = "${HOST}", port = ${port}, context-path = "" }`,
      'generate-node-address = false',
      `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "${HOST}", sqs-limits = strict }`,
      'rest-stats { enabled = false }',
      // Queues are created by their users (the SQS work queue creates its own).
      'queues {}',
      '',
    ].join('\n'),
  );
  const logFile = join(serverDir, 'server.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  logStream.write(
    `\n==== ${new Date().toISOString()} starting elasticmq ${ELASTICMQ_VERSION} on ${endpoint}\n`,
  );
  const tail = [];
  const jvm = spawn(
    'java',
    [
      '-Xms64m',
      '-Xmx256m',
      // Start-up CPU matters more than throughput on a shared development box.
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dconfig.file=${configFile}`,
      '-cp',
      `${libsDir}/*`,
      'org.elasticmq.server.Main',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((done) => jvm.once('exit', (code, signal) => done({ code, signal })));
  let alive = true;
  void exited.then(() => (alive = false));
  guardAgainstOrphan(jvm.pid, { signal: 'SIGTERM', graceMs: 10_000 });
  process.on('exit', () => {
    if (alive) safeKill(jvm.pid, 'SIGKILL');
  });
  followOutput(jvm, logStream, (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (!flags.quiet) process.stderr.write(`${PREFIX} ${line}\n`);
  });

  let stopping = false;
  onStopRequest(async (reason) => {
    if (stopping) {
      safeKill(jvm.pid, 'SIGKILL');
      return;
    }
    stopping = true;
    console.log(`${PREFIX} stopping server (${reason})`);
    safeKill(jvm.pid, 'SIGTERM');
    const timer = setTimeout(() => safeKill(jvm.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    logStream.end();
    console.log(`${PREFIX} server stopped`);
    process.exit(0);
  });

  const timeoutMs = Number(process.env.ELASTICMQ_START_TIMEOUT_MS || 120_000);
  const outcome = await Promise.race([
    waitFor(() => sqsAnswers(port), timeoutMs).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then(() => 'died'),
  ]);
  if (outcome !== 'ready') {
    if (stopping) return;
    safeKill(jvm.pid, 'SIGKILL');
    fail(
      `${outcome === 'died' ? 'the ElasticMQ JVM exited before it was ready' : `no SQS answer within ${timeoutMs} ms`}. ` +
        `Last lines (full log: ${logFile}):\n` +
        tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  console.log(
    `${PREFIX} ready: ${endpoint} in ${Date.now() - startedAt} ms (java, jars ${jarsMs} ms; config ${configFile})`,
  );

  const { code, signal } = await exited;
  await new Promise((r) => setTimeout(r, 500));
  if (stopping) return;
  if (['SIGTERM', 'SIGINT'].includes(signal) || code === 143 || code === 130) {
    console.log(`${PREFIX} server stopped by a signal`);
    process.exit(0);
  }
  fail(`the ElasticMQ JVM exited unexpectedly (code ${code}, signal ${signal}); see ${logFile}`);
}

async function ensureJars() {
  const pomHash = createHash('sha256').update(readFileSync(pomFile)).digest('hex');
  if (
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8').trim() === pomHash &&
    existsSync(libsDir)
  ) {
    return;
  }
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).error) {
    fail(
      `the ElasticMQ jars are not cached yet (${libsDir}) and Maven is not on PATH; install it (e.g. apt-get install maven)`,
    );
  }
  console.log(
    `${PREFIX} fetching ElasticMQ ${ELASTICMQ_VERSION} jars with Maven into ${libsDir} (one-time)`,
  );
  mkdirSync(home, { recursive: true });
  // A private folder renamed at the end: an interrupted fetch never looks complete.
  const staging = join(home, `libs.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const result = await runCommand('mvn', [
    '-q',
    '-B',
    '-f',
    pomFile,
    `-Dmaven.repo.local=${join(cacheRoot, 'm2')}`,
    `-Delasticmq.libs.dir=${staging}`,
    'dependency:copy-dependencies',
  ]);
  if (result.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    fail(`Maven could not fetch the ElasticMQ jars (exit ${result.code}):\n${result.output}`);
  }
  rmSync(libsDir, { recursive: true, force: true });
  renameSync(staging, libsDir);
  writeFileSync(stampFile, pomHash + '\n');
}

/** One ListQueues call in SQS's query protocol: true only if an SQS-shaped answer comes back. */
function sqsAnswers(sqsPort) {
  return new Promise((done) => {
    const req = request(
      { host: HOST, port: sqsPort, path: '/?Action=ListQueues', method: 'GET', timeout: 2_000 },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => done(res.statusCode === 200 && body.includes('ListQueuesResponse')));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(false));
    req.end();
  });
}

async function waitFor(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function idleUntilStopped() {
  const keepAlive = setInterval(() => {}, 1 << 30);
  onStopRequest((reason) => {
    clearInterval(keepAlive);
    console.log(`${PREFIX} stopping (${reason}); the reused server keeps running`);
    process.exit(0);
  });
  await new Promise(() => {});
}

function onStopRequest(stop) {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const timer = setInterval(() => {
    if (process.ppid !== parentPid) stop('parent process exited');
  }, 1_000);
  timer.unref();
}

function detectJavaMajor() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

function parsePort(raw, name) {
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || n < 1 || n > 65535)
    fail(`${name} must be a port number (got "${raw}")`, 2);
  return n;
}

function fail(message, code = 1) {
  console.error(`${PREFIX} ${message}`);
  process.exit(code);
}
