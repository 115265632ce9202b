#!/usr/bin/env node
// A real RabbitMQ broker for development and tests, without Docker: Debian's
// rabbitmq-server, run as this user (root included) on loopback only, with its
// own node name, ports, Erlang cookie and state under DATA_DIR/rabbitmq, so it
// never meets a system broker or another engineer's.
//
// Plain ESM JavaScript (no TypeScript) so it runs before anything is built.
//   1. an AMQP server already answering on 127.0.0.1:RABBITMQ_PORT: reuse it
//      and idle, so an nx continuous task that depends on this one stays up;
//   2. rabbitmq-server installed: start it, print "ready:", stop it (and the
//      epmd this script started) on SIGINT/SIGTERM or when the parent goes;
//   3. otherwise say how to install it and exit with NOT_INSTALLED (3).
// With --check it stops before starting anything: 0 for cases 1 and 2, 3 (with
// the advice) for case 3, so `npm start` can plan without RabbitMQ.
//
// Usage: node tools/rabbitmq/local-rabbitmq.mjs [--port N] [--dist-port N]
//                                                [--epmd-port N] [--data-dir DIR] [--quiet] [--check]
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { guardAgainstOrphan } from '../scripts/guard-against-orphan.mjs';
import { followOutput, safeKill } from '../scripts/run-command.mjs';

const PREFIX = '[local-rabbitmq]';
/** Exit code when RabbitMQ is not installed, so `npm start` can run everything else. */
const NOT_INSTALLED = 3;
const HOST = '127.0.0.1';
const SERVER_CANDIDATES = process.env.RABBITMQ_SERVER
  ? [process.env.RABBITMQ_SERVER]
  : [
      // Debian's /usr/sbin/rabbitmq-server is a wrapper that switches to the
      // rabbitmq user when run as root; the script behind it runs as whoever calls it.
      '/usr/lib/rabbitmq/bin/rabbitmq-server',
      '/usr/local/lib/rabbitmq/bin/rabbitmq-server',
    ];
const parentPid = process.ppid;
const startedAt = Date.now();

const usage = `usage: node tools/rabbitmq/local-rabbitmq.mjs [options]

  start a RabbitMQ broker on ${HOST} (or reuse one already answering) and run until SIGINT/SIGTERM

options:
  --port N        AMQP port (default: RABBITMQ_PORT or 5672)
  --dist-port N   Erlang distribution port (default: RABBITMQ_DIST_PORT or port + 20000, or port + 1 above 45535)
  --epmd-port N   Erlang port mapper port (default: ERL_EPMD_PORT or 4369); started here if none answers
  --data-dir DIR  parent of the broker's state, <DIR>/rabbitmq (default: DATA_DIR or ./.data)
  --quiet         keep the broker's output out of the console (it still goes to <DIR>/rabbitmq/broker.log)
  --check         start nothing: exit 0 if a broker answers or rabbitmq-server is installed, else ${NOT_INSTALLED} with advice

env: RABBITMQ_PORT, RABBITMQ_DIST_PORT, ERL_EPMD_PORT, DATA_DIR, RABBITMQ_SERVER (the rabbitmq-server script to run,
     instead of looking in /usr/lib/rabbitmq/bin and /usr/local/lib/rabbitmq/bin),
     RABBITMQ_START_TIMEOUT_MS (60000)
exit codes: 0 stopped on request, 1 failed, 2 bad usage, ${NOT_INSTALLED} RabbitMQ not installed`;

let flags;
try {
  flags = parseArgs({
    options: {
      port: { type: 'string' },
      'dist-port': { type: 'string' },
      'epmd-port': { type: 'string' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
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

const port = parsePort(flags.port ?? process.env.RABBITMQ_PORT ?? '5672', '--port');
const distPort = parsePort(
  flags['dist-port'] ??
    process.env.RABBITMQ_DIST_PORT ??
    String(port <= 45535 ? port + 20000 : port + 1),
  '--dist-port',
);
const epmdPort = parsePort(
  flags['epmd-port'] ?? process.env.ERL_EPMD_PORT ?? '4369',
  '--epmd-port',
);
const dataDir = resolve(flags['data-dir'] ?? process.env.DATA_DIR ?? './.data');
const brokerDir = join(dataDir, 'rabbitmq');
const url = `amqp://guest:guest@${HOST}:${port}`;

if (await amqpAnswers(port)) {
  if (flags.check) process.exit(0);
  console.log(
    `${PREFIX} ready: ${url} (reusing the broker that already answers there; idle until stopped)`,
  );
  await idleUntilStopped();
}

const server = SERVER_CANDIDATES.find((candidate) => existsSync(candidate));
if (!server) {
  fail(
    `RabbitMQ is not installed (no ${SERVER_CANDIDATES.join(' or ')}). ` +
      'Install it with `apt-get install rabbitmq-server` (Debian/Ubuntu; ' +
      'this script starts its own node, the system service can stay off), point RABBITMQ_SERVER at ' +
      'a rabbitmq-server script, or run `docker compose -f docker-compose.queues.yml up rabbitmq`.',
    NOT_INSTALLED,
  );
}
if (flags.check) process.exit(0);

await runBroker(server);

// ---------------------------------------------------------------------------

async function runBroker(serverScript) {
  for (const dir of ['mnesia', 'log', 'home']) mkdirSync(join(brokerDir, dir), { recursive: true });
  const configBase = join(brokerDir, 'rabbitmq');
  // Rewritten every start so a changed port applies to warm state too.
  writeFileSync(
    `${configBase}.conf`,
    [
      '# Written by tools/rabbitmq/local-rabbitmq.mjs on every start; edits are overwritten.',
      `listeners.tcp.1 = ${HOST}:${port}`,
      'loopback_users.guest = true',
      'log.console = true',
      'log.console.level = warning',
      'log.file.level = info',
      // A development broker on a small disk: block publishers only when really short.
      'disk_free_limit.absolute = 50MB',
      '',
    ].join('\n'),
  );
  // No plugins (management would take another port), and no system env file.
  writeFileSync(join(brokerDir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(brokerDir, 'rabbitmq-env.conf'), '');

  const erlEnv = { ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: HOST };
  const epmd = (await tcpAnswers(epmdPort)) ? undefined : startEpmd(erlEnv);

  const env = {
    ...process.env,
    ...erlEnv,
    // The Erlang cookie lives in $HOME: a private one keeps this node to itself.
    HOME: join(brokerDir, 'home'),
    RABBITMQ_NODENAME: `switchboard-${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(brokerDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(brokerDir, 'log'),
    RABBITMQ_PID_FILE: join(brokerDir, 'rabbitmq.pid'),
    RABBITMQ_CONFIG_FILE: configBase,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(brokerDir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(brokerDir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(brokerDir, 'rabbitmq-env.conf'),
    // Erlang distribution (rabbitmqctl's channel) on loopback only, like AMQP.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const logFile = join(brokerDir, 'broker.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  logStream.write(`\n==== ${new Date().toISOString()} starting rabbitmq on ${HOST}:${port}\n`);
  const tail = [];
  const broker = spawn(serverScript, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((done) =>
    broker.once('exit', (code, signal) => done({ code, signal })),
  );
  let alive = true;
  void exited.then(() => (alive = false));
  broker.once('error', (err) => fail(`could not run ${serverScript}: ${err.message}`));
  guardAgainstOrphan(broker.pid, { signal: 'SIGTERM', graceMs: 20_000 });
  process.on('exit', () => {
    if (alive) safeKill(broker.pid, 'SIGKILL');
    if (epmd) safeKill(epmd.pid, 'SIGKILL');
  });
  followOutput(broker, logStream, (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (!flags.quiet) process.stderr.write(`${PREFIX} ${line}\n`);
  });

  let stopping = false;
  const stop = async (reason) => {
    if (stopping) {
      safeKill(broker.pid, 'SIGKILL');
      return;
    }
    stopping = true;
    console.log(`${PREFIX} stopping broker (${reason})`);
    // The script's TERM trap runs `rabbitmqctl stop`: a clean shutdown that
    // keeps every durable queue and persistent message.
    safeKill(broker.pid, 'SIGTERM');
    const timer = setTimeout(() => safeKill(broker.pid, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    await stopEpmd(epmd);
    logStream.end();
    console.log(`${PREFIX} broker stopped`);
    process.exit(0);
  };
  onStopRequest(stop);

  const timeoutMs = Number(process.env.RABBITMQ_START_TIMEOUT_MS || 60_000);
  const outcome = await Promise.race([
    waitFor(() => amqpAnswers(port), timeoutMs).then((ok) => (ok ? 'ready' : 'timeout')),
    exited.then(() => 'died'),
  ]);
  if (outcome !== 'ready') {
    if (stopping) return;
    safeKill(broker.pid, 'SIGKILL');
    await stopEpmd(epmd);
    fail(
      `${outcome === 'died' ? 'rabbitmq-server exited before it was ready' : `no AMQP answer within ${timeoutMs} ms`}. ` +
        `Last lines (full log: ${logFile}, broker logs in ${join(brokerDir, 'log')}):\n` +
        tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  console.log(
    `${PREFIX} ready: ${url} in ${Date.now() - startedAt} ms ` +
      `(node switchboard-${port}@localhost, dist port ${distPort}, epmd ${epmdPort}${epmd ? ' started here' : ' reused'}; state in ${brokerDir})`,
  );

  const { code, signal } = await exited;
  // A supervisor that kills the whole process tree (nx does) may reach the
  // broker before us; give our own signal a moment to arrive before judging.
  await new Promise((r) => setTimeout(r, 500));
  if (stopping) return;
  await stopEpmd(epmd);
  if (['SIGTERM', 'SIGINT'].includes(signal) || code === 0 || code === 130) {
    console.log(`${PREFIX} broker stopped by a signal`);
    process.exit(0);
  }
  fail(`rabbitmq-server exited unexpectedly (code ${code}, signal ${signal}); see ${logFile}`);
}

/** epmd in the foreground (no -daemon), so this script knows its PID and stops exactly it. */
function startEpmd(erlEnv) {
  const child = spawn('epmd', ['-port', String(epmdPort), '-address', HOST], {
    env: { ...process.env, ...erlEnv },
    stdio: 'ignore',
  });
  child.once('error', (err) =>
    fail(`could not start epmd (part of Erlang, installed with rabbitmq-server): ${err.message}`),
  );
  guardAgainstOrphan(child.pid, { signal: 'SIGTERM', graceMs: 2_000 });
  return { pid: child.pid, exited: new Promise((done) => child.once('exit', done)) };
}

async function stopEpmd(epmd) {
  if (!epmd) return;
  safeKill(epmd.pid, 'SIGTERM');
  await Promise.race([epmd.exited, new Promise((r) => setTimeout(r, 2_000))]);
  safeKill(epmd.pid, 'SIGKILL');
}

/**
 * Sends the AMQP 0-9-1 protocol header and checks that a method frame comes
 * back (connection.start): a plain TCP connect would also succeed against any
 * other server on that port.
 */
function amqpAnswers(amqpPort, timeoutMs = 2_000) {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port: amqpPort });
    const finish = (ok) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])));
    socket.on('data', (chunk) => finish(chunk[0] === 1));
    socket.on('end', () => finish(false));
  });
}

function tcpAnswers(tcpPort) {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port: tcpPort });
    socket.setTimeout(1_000, () => (socket.destroy(), done(false)));
    socket.on('error', () => done(false));
    socket.on('connect', () => (socket.destroy(), done(true)));
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
    console.log(`${PREFIX} stopping (${reason}); the reused broker keeps running`);
    process.exit(0);
  });
  await new Promise(() => {});
}

/** Calls stop on SIGINT/SIGTERM/SIGHUP, and when our parent goes away, so the broker is never orphaned. */
function onStopRequest(stop) {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const timer = setInterval(() => {
    if (process.ppid !== parentPid) stop('parent process exited');
  }, 1_000);
  timer.unref();
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
