#!/usr/bin/env node
// A real Apache Kafka broker for development and tests, without Docker.
//
// Plain ESM JavaScript (no TypeScript) so it runs before anything is built.
// Order of preference:
//   1. a broker already answering at KAFKA_BROKERS: reuse it and idle, so an
//      nx continuous task that depends on this one stays up;
//   2. Java 17+: fetch the jars once with Maven into a cache outside the work
//      tree, format KRaft storage under DATA_DIR once, run kafka.Kafka;
//   3. a Docker engine: docker compose -f docker-compose.kafka.yml up;
//   4. otherwise explain what to install and exit 1.
//
// Usage: node tools/kafka/local-kafka.mjs [jars] [--port N] [--controller-port N]
//                                          [--data-dir DIR] [--quiet] [--secure]
//                                          [--nodes N [--node K]]
//
// --nodes N (or KAFKA_NODES) with N > 1 runs an N-node KRaft cluster on
// loopback instead, every node a broker and a controller; --node K runs only
// node K of it, for tests that stop and restart single nodes (runCluster()).
//
// --secure (or KAFKA_SECURITY=sasl_ssl) starts the same broker with a SASL_SSL
// client listener (SCRAM-SHA-512), KRaft's StandardAuthorizer and the ACLs
// derived from the topic registry; see secureSetup() below.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { guardAgainstOrphan } from '../scripts/guard-against-orphan.mjs';
import { followOutput, isLoopback, runCommand, safeKill, timed } from '../scripts/run-command.mjs';
import {
  CONTROLLER_PORT_OFFSET,
  clusterNodeProperties,
  parseNodeCount,
  planKafkaCluster,
  sharedBrokerProperties,
} from './src/plan-kafka-cluster.mjs';

const KAFKA_VERSION = '4.3.1';
const MIN_JAVA = 17;
const PREFIX = '[local-kafka]';
/** Lists the service principals and applies their ACLs, for --secure. */
const KAFKA_ACLS_TOOL = 'tools/kafka/src/kafka-acls.ts';

// kafkajs 2.2.4 schedules a timer with a negative delay when nothing is
// throttled; Node 23+ warns about it on every client. Harmless (Node uses 1 ms),
// so drop exactly that warning and keep printing every other one.
const printWarnings = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') for (const print of printWarnings) print(warning);
});

const here = dirname(fileURLToPath(import.meta.url));
// Read first thing: if our parent is gone later, we stop (see onStopRequest).
const parentPid = process.ppid;
const workspaceRoot = resolve(here, '../..');
const startedAt = Date.now();

const usage = `usage: node tools/kafka/local-kafka.mjs [jars] [options]

  (no command)          start a broker (or reuse one already answering) and run until SIGINT/SIGTERM
  jars                  only fetch the broker jars into the cache, then exit

options:
  --port N              broker port on the KAFKA_BROKERS host (default: from KAFKA_BROKERS, 9092)
  --controller-port N   KRaft controller port (default: KAFKA_CONTROLLER_PORT or broker port + 1)
  --data-dir DIR        parent of the broker's storage, <DIR>/kafka (default: DATA_DIR or ./.data)
  --quiet               keep broker log lines out of the console (they still go to broker.log)
  --secure              SASL_SSL (SCRAM-SHA-512) listener, StandardAuthorizer and the services' ACLs;
                        data in <DIR>/kafka-secure, TLS material and passwords in <DIR>/kafka-secure/secure
                        (one node only)
  --nodes N             run an N-node KRaft cluster (N from 1 to 9; 1, the default, is the single broker
                        above). Node k is broker and controller, node.id k, data in <DIR>/kafka-cluster/node-k.
                        Broker ports: the N addresses of KAFKA_BROKERS when it lists N, else --port P
                        (or the first KAFKA_BROKERS port, 9092) gives P..P+N-1. Controller ports:
                        --controller-port C (default: first broker port + ${CONTROLLER_PORT_OFFSET}) gives C..C+N-1.
                        Topics get replication factor min(N,3) and min.insync.replicas of one less (at least 1).
                        Ready once every node answers and the cluster lists N brokers; the ready line
                        gives the KAFKA_BROKERS value. SIGINT/SIGTERM stops every node; if one node's
                        JVM dies, the others are stopped too and the command exits 1.
  --node K              with --nodes N: run only node K of that cluster in the foreground (same ports and
                        folder). Writes the JVM's pid to <DIR>/kafka-cluster/node-K/kafka.pid, prints
                        "ready: <address> in <ms> ms (node K of N, pid <pid>, ...)" once that node serves
                        (which needs a majority of the controllers running), and exits 1 with
                        "node K's JVM exited unexpectedly" if the JVM dies. Restart it with the same command.

env: KAFKA_BROKERS (127.0.0.1:9092), DATA_DIR, SWITCHBOARD_CACHE (~/.cache/switchboard),
     KAFKA_CONTROLLER_PORT, KAFKA_HEAP_OPTS (-Xms256m -Xmx512m; -Xms128m for cluster nodes), KAFKA_START_TIMEOUT_MS (120000),
     KAFKA_SECURITY (plaintext | sasl_ssl; same as --secure), KAFKA_NODES (same as --nodes)`;

let options;
try {
  options = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      secure: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      node: { type: 'string' },
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
const kafkaHome = join(cacheRoot, `kafka-${KAFKA_VERSION}`);
const libsDir = join(kafkaHome, 'libs');
const stampFile = join(kafkaHome, '.complete');
const pomFile = join(here, 'pom.xml');

if (command === 'jars') {
  await ensureJars();
  console.log(`${PREFIX} jars ready in ${libsDir}`);
  process.exit(0);
}

let nodeCount;
try {
  nodeCount = parseNodeCount(
    flags.nodes ?? process.env.KAFKA_NODES,
    flags.nodes === undefined ? 'KAFKA_NODES' : '--nodes',
  );
} catch (err) {
  fail(err.message, 2);
}
if (flags.node !== undefined && nodeCount < 2) {
  fail(`--node K needs --nodes N (N of 2 or more): it runs node K of that cluster`, 2);
}
if (nodeCount > 1) {
  await runCluster();
  // runCluster only returns while a stop it started is under way; that stop exits.
  await new Promise(() => {});
}

const brokerList = (process.env.KAFKA_BROKERS || '127.0.0.1:9092')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const [firstHost, firstPort] = splitHostPort(brokerList[0] ?? '127.0.0.1:9092');
const host = firstHost;
const port = parsePort(flags.port ?? firstPort, '--port');
const brokers = flags.port ? [`${host}:${port}`] : brokerList;
const controllerPort = parsePort(
  flags['controller-port'] ?? process.env.KAFKA_CONTROLLER_PORT ?? String(port + 1),
  '--controller-port',
);
const dataDir = resolve(flags['data-dir'] ?? process.env.DATA_DIR ?? './.data');
const securityMode = (process.env.KAFKA_SECURITY || 'plaintext').toLowerCase();
if (!['plaintext', 'sasl_ssl'].includes(securityMode)) {
  fail(`KAFKA_SECURITY must be plaintext or sasl_ssl (got "${process.env.KAFKA_SECURITY}")`, 2);
}
const secure = flags.secure || securityMode === 'sasl_ssl';
// A secured broker keeps its own folder: its storage holds SCRAM users and
// must never be mistaken for the plaintext broker's, nor the other way round.
const kafkaDir = join(dataDir, secure ? 'kafka-secure' : 'kafka');
const secureDir = join(kafkaDir, 'secure');
/** Set in secure mode once the TLS material and users exist: { caFile, users }. */
let security;
if (secure && existsSync(join(secureDir, 'users.json'))) security = loadSecurity();

if (secure && (await brokerAnswers(brokers, null))) {
  fail(
    `a plaintext broker already answers at ${brokers.join(',')}; stop it or pick another --port ` +
      'for the secured one',
  );
}
if (await brokerAnswers(brokers, security)) {
  // Same "ready:" line as a fresh start, so whoever waits for it needs no special case.
  console.log(
    `${PREFIX} ready: ${brokers.join(',')} (reusing the broker that already answers there; idle until stopped)`,
  );
  if (secure) printClientHelp();
  await idleUntilStopped();
}

if (!isLoopback(host)) {
  fail(
    `KAFKA_BROKERS points at ${host}, which does not answer; a local broker only ever listens on ` +
      `loopback, so set KAFKA_BROKERS=127.0.0.1:${port} (or start that remote broker).`,
  );
}

const javaMajor = detectJavaMajor();
if (javaMajor !== undefined && javaMajor >= MIN_JAVA) {
  await runJavaBroker();
} else if (secure) {
  fail(`the secured broker (--secure) needs Java ${MIN_JAVA}+ on PATH`);
} else if (dockerAnswers()) {
  await runDockerBroker();
} else {
  const found = javaMajor === undefined ? 'no java on PATH' : `java ${javaMajor} is too old`;
  fail(
    `cannot start Kafka: ${found} and no Docker engine answers.\n` +
      `Install Java ${MIN_JAVA}+ and Maven (e.g. apt-get install openjdk-17-jre-headless maven) ` +
      `or start Docker, then run this again.`,
  );
}

// ---------------------------------------------------------------------------

async function runJavaBroker() {
  const jarsMs = await timed(ensureJars);
  const logDirs = join(kafkaDir, 'data');
  const propsFile = join(kafkaDir, 'server.properties');
  const brokerLog = join(kafkaDir, 'broker.log');
  mkdirSync(logDirs, { recursive: true });
  let secureMs = 0;
  if (secure) secureMs = await timed(secureSetup);
  // Rewritten every start so a changed port applies to a warm data dir too.
  // In secure mode it holds the broker's own password: readable by us only.
  writeFileSync(propsFile, serverProperties(logDirs), { mode: 0o600 });
  chmodSync(propsFile, 0o600);

  const formatted = existsSync(join(logDirs, 'meta.properties'));
  let formatMs = 0;
  if (!formatted) {
    formatMs = await timed(() => formatStorage(propsFile));
  }

  const logStream = createWriteStream(brokerLog, { flags: 'a' });
  logStream.write(
    `\n==== ${new Date().toISOString()} starting kafka ${KAFKA_VERSION} on ${host}:${port}\n`,
  );
  const tail = [];
  const jvm = spawn('java', brokerJvmArgs('-Xms256m -Xmx512m', kafkaDir, propsFile), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const jvmExited = new Promise((done) =>
    jvm.once('exit', (code, signal) => done({ code, signal })),
  );
  let jvmAlive = true;
  jvmExited.then(() => (jvmAlive = false));
  guardAgainstOrphan(jvm.pid, { signal: 'SIGTERM', graceMs: 20000 });
  // Last resort for paths that skip the graceful stop (uncaught errors, process.exit).
  process.on('exit', () => {
    if (jvmAlive) safeKill(jvm.pid, 'SIGKILL');
  });

  followOutput(jvm, logStream, (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (!flags.quiet) process.stderr.write(`${PREFIX} ${line}\n`);
  });

  let stopping = false;
  const stop = async (reason) => {
    if (stopping) {
      // A second signal means "now": do not make the user wait for a slow shutdown.
      safeKill(jvm.pid, 'SIGKILL');
      return;
    }
    stopping = true;
    console.log(`${PREFIX} stopping broker (${reason})`);
    await stopProcess(jvm, jvmExited, Number(process.env.KAFKA_STOP_TIMEOUT_MS || 20_000));
    logStream.end();
    console.log(`${PREFIX} broker stopped`);
    process.exit(0);
  };
  onStopRequest(stop);

  const timeoutMs = Number(process.env.KAFKA_START_TIMEOUT_MS || 120_000);
  const outcome = await Promise.race([
    waitForBroker(brokers, timeoutMs, security).then((ok) => (ok ? 'ready' : 'timeout')),
    jvmExited.then(() => 'died'),
  ]);
  if (outcome !== 'ready') {
    if (stopping) return;
    const why =
      outcome === 'died'
        ? `the broker JVM exited before it became ready`
        : `the broker did not answer within ${timeoutMs} ms`;
    if (outcome === 'timeout') await stopProcess(jvm, jvmExited, 5_000);
    fail(
      `${why}. Last log lines (full log: ${brokerLog}):\n` + tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  let aclsMs = 0;
  if (secure && !stopping) {
    const applied = await Promise.race([
      timed(applyAcls).then((ms) => ((aclsMs = ms), 'ok')),
      jvmExited.then(() => 'died'),
    ]);
    if (applied !== 'ok') {
      if (stopping) return;
      fail(`the broker JVM exited while the ACLs were applied; see ${brokerLog}`);
    }
  }
  const total = Date.now() - startedAt;
  const rel = relative(process.cwd(), kafkaDir);
  const where = rel && !rel.startsWith('..') ? rel : kafkaDir;
  const secureTimes = secure ? `, tls+users ${secureMs} ms, acls ${aclsMs} ms` : '';
  console.log(
    `${PREFIX} ready: ${host}:${port} in ${total} ms ` +
      `(java${secure ? ', sasl_ssl' : ''}, ${formatted ? 'warm' : 'fresh'} data in ${where}; ` +
      `jars ${jarsMs} ms, format ${formatMs} ms${secureTimes})`,
  );
  if (secure) printClientHelp();

  const { code, signal } = await jvmExited;
  // A supervisor that kills the whole process tree (nx does) may reach the
  // JVM before us; give our own signal a moment to arrive before judging.
  await sleep(500);
  if (stopping) return;
  if (['SIGTERM', 'SIGINT'].includes(signal) || code === 143 || code === 130) {
    console.log(`${PREFIX} broker stopped by a signal`);
    process.exit(0);
  }
  fail(`the broker JVM exited unexpectedly (code ${code}, signal ${signal}); see ${brokerLog}`);
}

function serverProperties(logDirs) {
  const lines = [
    '# Written by tools/kafka/local-kafka.mjs on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    ...(secure
      ? secureListenerProperties()
      : [
          `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
          `advertised.listeners=PLAINTEXT://${host}:${port}`,
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'inter.broker.listener.name=PLAINTEXT',
        ]),
    'controller.listener.names=CONTROLLER',
    `controller.quorum.bootstrap.servers=${host}:${controllerPort}`,
    `log.dirs=${logDirs}`,
    // One node: every replication setting must be satisfiable by a single replica.
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    ...sharedBrokerProperties(),
  ];
  return lines.join('\n') + '\n';
}

/** The broker JVM's command line; KAFKA_HEAP_OPTS replaces `defaultHeap`. */
function brokerJvmArgs(defaultHeap, logsDir, propsFile) {
  return [
    ...(process.env.KAFKA_HEAP_OPTS || defaultHeap).split(/\s+/).filter(Boolean),
    // A development broker on a small machine: a cheap collector and C1 only
    // keep start-up CPU low; throughput is not the point here.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-cp',
    `${libsDir}/*`,
    'kafka.Kafka',
    propsFile,
  ];
}

/** Kafka's StorageTool `format` with these arguments, on a small heap. */
function formatWithStorageTool(args) {
  return runCommand('java', [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`,
    '-cp',
    `${libsDir}/*`,
    'kafka.tools.StorageTool',
    'format',
    ...args,
  ]);
}

async function formatStorage(propsFile) {
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding;
  // one starting with '-' would read as a command-line flag, so avoid it.
  let clusterId;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  const result = await formatWithStorageTool([
    '--standalone',
    '--cluster-id',
    clusterId,
    '--config',
    propsFile,
    // SCRAM users live in the cluster metadata; a fresh secured cluster gets them here.
    ...(secure
      ? Object.entries(security.users).flatMap(([name, password]) => [
          '--add-scram',
          `SCRAM-SHA-512=[name=${name},password=${password}]`,
        ])
      : []),
  ]);
  if (result.code !== 0) {
    fail(`formatting KRaft storage failed (exit ${result.code}):\n${result.output}`);
  }
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
      `the Kafka jars are not cached yet (${libsDir}) and Maven is not on PATH.\n` +
        'Install it (e.g. apt-get install maven) or run with Docker.',
    );
  }
  console.log(
    `${PREFIX} fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libsDir} (one-time)`,
  );
  mkdirSync(kafkaHome, { recursive: true });
  // Copy into a private folder and rename, so an interrupted or concurrent
  // fetch never leaves a half-filled libs folder that looks complete.
  const staging = join(kafkaHome, `libs.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  const result = await runCommand('mvn', [
    '-q',
    '-B',
    '-f',
    pomFile,
    `-Dmaven.repo.local=${join(cacheRoot, 'm2')}`,
    `-Dkafka.libs.dir=${staging}`,
    'dependency:copy-dependencies',
  ]);
  if (result.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    fail(`Maven could not fetch the Kafka jars (exit ${result.code}):\n${result.output}`);
  }
  rmSync(libsDir, { recursive: true, force: true });
  renameSync(staging, libsDir);
  writeFileSync(stampFile, pomHash + '\n');
}

async function runDockerBroker() {
  const composeFile = join(workspaceRoot, 'docker-compose.kafka.yml');
  console.log(
    `${PREFIX} no Java ${MIN_JAVA}+ here; starting Kafka with docker compose (${composeFile})`,
  );
  const compose = spawn('docker', ['compose', '-f', composeFile, 'up'], {
    stdio: ['ignore', flags.quiet ? 'ignore' : 'inherit', 'inherit'],
    env: { ...process.env, KAFKA_PORT: String(port) },
  });
  const exited = new Promise((done) =>
    compose.once('exit', (code, signal) => done({ code, signal })),
  );
  let stopping = false;
  onStopRequest(async (reason) => {
    if (stopping) return;
    stopping = true;
    console.log(`${PREFIX} stopping docker compose (${reason})`);
    // compose treats SIGINT as "stop the containers gracefully".
    safeKill(compose.pid, 'SIGINT');
    await exited;
    process.exit(0);
  });
  const outcome = await Promise.race([
    waitForBroker([`${host}:${port}`], Number(process.env.KAFKA_START_TIMEOUT_MS || 180_000)).then(
      (ok) => (ok ? 'ready' : 'timeout'),
    ),
    exited.then(() => 'died'),
  ]);
  if (outcome === 'ready') {
    console.log(`${PREFIX} ready: ${host}:${port} in ${Date.now() - startedAt} ms (docker)`);
  } else if (!stopping) {
    safeKill(compose.pid, 'SIGINT');
    fail(
      outcome === 'died'
        ? 'docker compose exited before Kafka was ready'
        : 'Kafka in Docker did not become ready',
    );
  }
  const { code } = await exited;
  if (!stopping) fail(`docker compose exited unexpectedly (code ${code})`);
}

// --------------------------------------------------------------------------
// Secure mode: SASL_SSL for clients, ACLs from the topic registry.
//
// - TLS: a CA and a broker certificate for localhost / 127.0.0.1 / ::1, made
//   with openssl once into <kafkaDir>/secure (PEM, which Kafka reads directly).
// - Users: SCRAM-SHA-512 credentials added when the storage is formatted: the
//   broker itself and `admin` (both super users), and one per service principal
//   that the ACL plan names (tools/kafka/src/kafka-acls.ts principals), each with
//   a random password kept in users.json and a ready-made <user>.env (mode 0600).
// - Controller listener: loopback only, SASL_PLAINTEXT with PLAIN for the broker
//   user, so no unauthenticated principal is ever a super user.
// - Authorizer: StandardAuthorizer, deny unless an ACL allows; after start the
//   admin creates the topics and applies the services' ACLs (applyServiceAcls).

async function secureSetup() {
  mkdirSync(secureDir, { recursive: true, mode: 0o700 });
  const files = tlsFiles();
  if (!existsSync(files.keystore)) makeTlsMaterial(files);
  const usersFile = join(secureDir, 'users.json');
  if (!existsSync(usersFile)) {
    if (existsSync(join(kafkaDir, 'data', 'meta.properties'))) {
      fail(
        `${kafkaDir} was formatted without ${usersFile}, so its SCRAM users are unknown; ` +
          'delete that folder for a fresh secured broker',
      );
    }
    const result = await runCommand(process.execPath, [
      join(workspaceRoot, 'tools/scripts/run-ts.mjs'),
      KAFKA_ACLS_TOOL,
      'principals',
    ]);
    if (result.code !== 0) fail(`could not list the service principals:\n${result.output}`);
    const services = JSON.parse(result.output.trim().split('\n').at(-1));
    const users = {};
    for (const name of ['broker', 'admin', ...services])
      users[name] = randomBytes(24).toString('hex');
    writeFileSync(usersFile, JSON.stringify(users, null, 2) + '\n', { mode: 0o600 });
    // Everything `npm start` needs to run all seven services against this
    // broker, each logging in as itself through <SERVICE>_KAFKA_SASL_*.
    const servicesEnv = {
      ...clientEnv(files.ca, undefined, undefined),
      KAFKA_SECURITY: 'sasl_ssl',
      ...Object.fromEntries(
        services.flatMap((name) => {
          const prefix = name
            .replace(/-service$/, '')
            .toUpperCase()
            .replace(/-/g, '_');
          return [
            [`${prefix}_KAFKA_SASL_USERNAME`, name],
            [`${prefix}_KAFKA_SASL_PASSWORD`, users[name]],
          ];
        }),
      ),
    };
    writeFileSync(join(secureDir, 'services.env'), envFile(servicesEnv), { mode: 0o600 });
    for (const [name, password] of Object.entries(users)) {
      if (name === 'broker') continue;
      writeFileSync(join(secureDir, `${name}.env`), envFile(clientEnv(files.ca, name, password)), {
        mode: 0o600,
      });
    }
  }
  security = loadSecurity();
}

function tlsFiles() {
  return {
    ca: join(secureDir, 'ca.pem'),
    caKey: join(secureDir, 'ca.key'),
    key: join(secureDir, 'broker.key'),
    cert: join(secureDir, 'broker.pem'),
    keystore: join(secureDir, 'broker-keystore.pem'),
  };
}

function loadSecurity() {
  return {
    caFile: tlsFiles().ca,
    users: JSON.parse(readFileSync(join(secureDir, 'users.json'), 'utf8')),
  };
}

function makeTlsMaterial(files) {
  const openssl = (args) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.error) fail(`--secure needs openssl on PATH to make its TLS material`);
    if (result.status !== 0) fail(`openssl ${args[0]} failed:\n${result.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    files.caKey,
    '-out',
    files.ca,
    '-days',
    '3650',
    '-subj',
    '/CN=Switchboard local Kafka CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const csr = join(secureDir, 'broker.csr');
  const ext = join(secureDir, 'broker.ext');
  openssl(['req', '-new', ...ec, '-keyout', files.key, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(
    ext,
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
    ].join('\n') + '\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.ca,
    '-CAkey',
    files.caKey,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-days',
    '825',
    '-extfile',
    ext,
    '-out',
    files.cert,
  ]);
  rmSync(csr);
  rmSync(ext);
  // Kafka's PEM keystore: the (unencrypted PKCS#8) key, then the chain.
  writeFileSync(
    files.keystore,
    readFileSync(files.key, 'utf8') +
      readFileSync(files.cert, 'utf8') +
      readFileSync(files.ca, 'utf8'),
    { mode: 0o600 },
  );
  for (const file of [files.caKey, files.key]) chmodSync(file, 0o600);
}

function secureListenerProperties() {
  const files = tlsFiles();
  const pw = security.users.broker;
  return [
    `listeners=SASL_SSL://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=SASL_SSL://${host}:${port}`,
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT',
    'inter.broker.listener.name=SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=' +
      `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${pw}";`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    'listener.name.controller.plain.sasl.jaas.config=' +
      'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
      `username="broker" password="${pw}" user_broker="${pw}";`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${files.keystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${files.ca}`,
    // A client certificate is optional (SASL says who the client is), but one
    // that is offered must chain to our CA. Kafka ignores the unprefixed
    // ssl.client.auth on SASL_SSL listeners, hence the listener prefix.
    'listener.name.sasl_ssl.ssl.client.auth=requested',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:broker;User:admin',
    'allow.everyone.if.no.acl.found=false',
  ];
}

function clientEnv(caFile, username, password) {
  return {
    KAFKA_BROKERS: `${host}:${port}`,
    KAFKA_SSL_CA_FILE: caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    ...(username === undefined
      ? {}
      : { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password }),
  };
}

/** KEY=value lines a shell can source (`set -a; . file; set +a`); values need no quoting. */
function envFile(vars) {
  return (
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

/** Creates the registry's topics as admin and makes the services' ACLs match the plan. */
async function applyAcls() {
  const env = { ...process.env, ...clientEnv(security.caFile, 'admin', security.users.admin) };
  delete env.KAFKA_SSL;
  delete env.KAFKA_SSL_CERT_FILE;
  delete env.KAFKA_SSL_KEY_FILE;
  const result = await runCommand(
    process.execPath,
    [join(workspaceRoot, 'tools/scripts/run-ts.mjs'), KAFKA_ACLS_TOOL, 'apply'],
    { env },
  );
  if (result.code !== 0) fail(`applying the service ACLs failed:\n${result.output}`);
  console.log(`${PREFIX} ${result.output.trim().split('\n').at(-1)}`);
}

function printClientHelp() {
  const rel = (file) => {
    const r = relative(process.cwd(), file);
    return r && !r.startsWith('..') ? r : file;
  };
  console.log(
    [
      `${PREFIX} SASL_SSL with SCRAM-SHA-512 on ${host}:${port}; the CA file is ${rel(security.caFile)}`,
      `${PREFIX} a client sets KAFKA_BROKERS=${host}:${port} KAFKA_SSL_CA_FILE=${rel(security.caFile)} ` +
        'KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=<user> KAFKA_SASL_PASSWORD=<password>',
      `${PREFIX} users: ${Object.keys(security.users)
        .filter((u) => u !== 'broker')
        .join(', ')} ` +
        `(admin is a super user); passwords in ${rel(join(secureDir, 'users.json'))}`,
      `${PREFIX} e.g. set -a; . ${rel(join(secureDir, 'admin.env'))}; set +a; npm run events -- lag reporting-service`,
      `${PREFIX} all seven services as themselves: set -a; . ${rel(join(secureDir, 'services.env'))}; set +a; npm start`,
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------
// Multi-node cluster (--nodes N, N > 1) and single nodes of it (--node K).
//
// Every node is a combined broker+controller with a static voter list, so a
// node restarted alone on its old data rejoins without any extra step. All
// nodes share one cluster id, kept in <DIR>/kafka-cluster/cluster.json with
// the node count it was made for; each node formats its own folder once.

async function runCluster() {
  const dataRoot = resolve(flags['data-dir'] ?? process.env.DATA_DIR ?? './.data');
  if (flags.secure || (process.env.KAFKA_SECURITY || '').toLowerCase() === 'sasl_ssl') {
    fail(
      '--secure runs one node only; a secured multi-node cluster needs per-node TLS material ' +
        'and inter-broker SCRAM, which this tool does not set up. Drop --secure or --nodes.',
      2,
    );
  }
  let plan;
  try {
    plan = planKafkaCluster({
      nodes: nodeCount,
      kafkaBrokers: process.env.KAFKA_BROKERS,
      port: flags.port,
      controllerPort: flags['controller-port'] ?? process.env.KAFKA_CONTROLLER_PORT,
      dataDir: dataRoot,
    });
  } catch (err) {
    fail(err.message, 2);
  }
  let only;
  if (flags.node !== undefined) {
    const k = Number(flags.node);
    if (!/^\d+$/.test(flags.node) || k < 1 || k > nodeCount) {
      fail(`--node must be a node number from 1 to ${nodeCount} (got "${flags.node}")`, 2);
    }
    only = plan.nodes[k - 1];
  }
  const remote = plan.nodes.find((n) => !isLoopback(n.host));
  if (remote) {
    fail(
      `a local cluster only listens on loopback, and ${remote.address} is not; fix KAFKA_BROKERS`,
      2,
    );
  }
  const addresses = plan.nodes.map((n) => n.address);

  if (only) {
    if (await brokerAnswers([only.address], null)) {
      fail(`a broker already answers at ${only.address}; is node ${only.id} running already?`);
    }
  } else {
    const size = await clusterSize(addresses);
    if (size === nodeCount) {
      console.log(
        `${PREFIX} ready: ${plan.kafkaBrokers} (reusing the ${nodeCount}-node cluster that already ` +
          `answers there; idle until stopped) KAFKA_BROKERS=${plan.kafkaBrokers}`,
      );
      await idleUntilStopped();
    }
    if (size > 0) {
      fail(
        `a Kafka cluster of ${size} broker(s) already answers at ${plan.kafkaBrokers}, ` +
          `not ${nodeCount}; stop it or pick other ports (--port)`,
      );
    }
  }

  const javaMajor = detectJavaMajor();
  if (javaMajor === undefined || javaMajor < MIN_JAVA) {
    fail(`a multi-node cluster needs Java ${MIN_JAVA}+ on PATH (Docker is used for one node only)`);
  }
  const jarsMs = await timed(ensureJars);
  const clusterId = ensureClusterId(plan);
  const selected = only ? [only] : plan.nodes;

  const running = [];
  let stopping = false;
  const stopAll = async (reason) => {
    if (stopping) {
      for (const r of running) safeKill(r.jvm.pid, 'SIGKILL');
      return;
    }
    stopping = true;
    const what = only ? `node ${only.id}` : `${running.length} nodes`;
    console.log(`${PREFIX} stopping ${what} (${reason})`);
    const graceMs = Number(process.env.KAFKA_STOP_TIMEOUT_MS || 20_000);
    // A node paused with SIGSTOP (as the chaos tests do) would sit on SIGTERM until killed.
    for (const r of running) safeKill(r.jvm.pid, 'SIGCONT');
    await Promise.all(running.map((r) => stopProcess(r.jvm, r.exited, graceMs)));
    console.log(`${PREFIX} ${what} stopped`);
    process.exit(0);
  };
  onStopRequest(stopAll);
  process.on('exit', () => {
    for (const r of running) if (r.alive) safeKill(r.jvm.pid, 'SIGKILL');
  });

  // Formatting is a JVM start of its own per node: do them side by side.
  const prepared = await Promise.all(selected.map((node) => prepareNode(plan, node, clusterId)));
  for (const p of prepared) {
    if (stopping) return;
    running.push(launchNode(p));
  }

  const timeoutMs = Number(process.env.KAFKA_START_TIMEOUT_MS || 120_000);
  const died = Promise.race(running.map((r) => r.exited.then((how) => ({ r, ...how }))));
  const readyAll = Promise.all(
    running.map((r) =>
      waitForNode(r.node, timeoutMs).then((ok) => {
        if (ok && !only && !stopping) {
          console.log(
            `${PREFIX} node ${r.node.id} up: ${r.node.address} (pid ${r.jvm.pid}) ` +
              `after ${Date.now() - startedAt} ms`,
          );
        }
        return ok;
      }),
    ),
  ).then(async (oks) => {
    if (!oks.every(Boolean)) return 'timeout';
    if (only) return 'ready';
    // Every node serving is not yet every node registered in the metadata.
    const deadline = startedAt + timeoutMs;
    while (Date.now() < deadline) {
      if ((await clusterSize(addresses)) === nodeCount) return 'ready';
      await sleep(250);
    }
    return 'timeout';
  });
  const outcome = await Promise.race([readyAll, died.then(() => 'died')]);
  if (stopping) return;
  if (outcome !== 'ready') {
    const failed = outcome === 'died' ? await died : undefined;
    const why = failed
      ? `node ${failed.r.node.id}'s JVM exited before the cluster was ready ` +
        `(code ${failed.code}, signal ${failed.signal})`
      : only
        ? `node ${only.id} did not serve within ${timeoutMs} ms; it needs a majority of the ` +
          `${nodeCount} controllers (${plan.quorumVoters}) running`
        : `the cluster did not become ready within ${timeoutMs} ms`;
    const r = failed?.r ?? running[0];
    await Promise.all(running.map((x) => stopProcess(x.jvm, x.exited, 5_000)));
    fail(
      `${why}. Last log lines of node ${r.node.id} (full log: ${r.brokerLog}):\n` +
        r.tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  const total = Date.now() - startedAt;
  const warm = prepared.every((p) => p.formatted) ? 'warm' : 'fresh';
  const formatMs = Math.max(...prepared.map((p) => p.formatMs));
  const rel = relative(process.cwd(), plan.clusterDir);
  const where = rel && !rel.startsWith('..') ? rel : plan.clusterDir;
  const { factor, minInsync } = plan.replication;
  if (only) {
    const r = running[0];
    console.log(
      `${PREFIX} ready: ${only.address} in ${total} ms (node ${only.id} of ${nodeCount}, ` +
        `pid ${r.jvm.pid}, pid file ${r.pidFile}, controller ${only.controllerAddress}, ` +
        `${warm} data in ${where}/node-${only.id}; jars ${jarsMs} ms, format ${formatMs} ms) ` +
        `KAFKA_BROKERS=${plan.kafkaBrokers}`,
    );
  } else {
    console.log(
      `${PREFIX} ready: ${plan.kafkaBrokers} in ${total} ms (${nodeCount} nodes, java, ` +
        `${warm} data in ${where}; pids ${running.map((r) => r.jvm.pid).join(',')}; ` +
        `controllers ${plan.nodes.map((n) => n.controllerAddress).join(',')}; ` +
        `replication factor ${factor}, min.insync.replicas ${minInsync}; ` +
        `jars ${jarsMs} ms, format ${formatMs} ms) KAFKA_BROKERS=${plan.kafkaBrokers}`,
    );
  }

  const { r, code, signal } = await died;
  // A supervisor that kills the whole process tree may reach a JVM before us;
  // give our own signal a moment to arrive before judging.
  await sleep(500);
  if (stopping) return;
  if (only && (['SIGTERM', 'SIGINT'].includes(signal) || code === 143 || code === 130)) {
    console.log(`${PREFIX} node ${only.id} stopped by a signal`);
    process.exit(0);
  }
  const others = running.filter((x) => x !== r);
  if (others.length > 0) {
    console.error(`${PREFIX} node ${r.node.id} died; stopping the other nodes`);
    await Promise.all(others.map((x) => stopProcess(x.jvm, x.exited, 10_000)));
  }
  fail(
    `node ${r.node.id}'s JVM exited unexpectedly (code ${code}, signal ${signal}); see ${r.brokerLog}`,
  );
}

/** The cluster id every node of this folder shares, made once (atomically) on first use. */
function ensureClusterId(plan) {
  mkdirSync(plan.clusterDir, { recursive: true });
  const file = join(plan.clusterDir, 'cluster.json');
  if (!existsSync(file)) {
    let clusterId;
    do clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-'));
    const staging = `${file}.${process.pid}`;
    writeFileSync(staging, JSON.stringify({ clusterId, nodes: nodeCount }) + '\n');
    // --node processes of one cluster start side by side: link() lets exactly one
    // of them create the file, and the others read the winner's id.
    try {
      linkSync(staging, file);
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    } finally {
      rmSync(staging, { force: true });
    }
  }
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  if (saved.nodes !== nodeCount) {
    fail(
      `${plan.clusterDir} holds a ${saved.nodes}-node cluster, not ${nodeCount}; ` +
        `use --nodes ${saved.nodes}, another --data-dir, or delete that folder`,
      2,
    );
  }
  return saved.clusterId;
}

async function prepareNode(plan, node, clusterId) {
  const logDirs = join(node.dir, 'data');
  const propsFile = join(node.dir, 'server.properties');
  mkdirSync(logDirs, { recursive: true });
  writeFileSync(propsFile, clusterNodeProperties(plan, node.id, logDirs));
  const metaFile = join(logDirs, 'meta.properties');
  const formatted = existsSync(metaFile);
  let formatMs = 0;
  if (formatted) {
    const found = /^cluster\.id=(.*)$/m.exec(readFileSync(metaFile, 'utf8'))?.[1]?.trim();
    if (found !== clusterId) {
      fail(
        `${node.dir} belongs to cluster ${found}, not ${clusterId} (${plan.clusterDir}/cluster.json); ` +
          `delete ${plan.clusterDir} for a fresh cluster`,
      );
    }
  } else {
    formatMs = await timed(async () => {
      const result = await formatWithStorageTool([
        '--cluster-id',
        clusterId,
        '--config',
        propsFile,
      ]);
      if (result.code !== 0) {
        fail(
          `formatting node ${node.id}'s storage failed (exit ${result.code}):\n${result.output}`,
        );
      }
    });
  }
  return { node, propsFile, formatted, formatMs };
}

function launchNode({ node, propsFile }) {
  const brokerLog = join(node.dir, 'broker.log');
  const pidFile = join(node.dir, 'kafka.pid');
  const logStream = createWriteStream(brokerLog, { flags: 'a' });
  logStream.write(
    `\n==== ${new Date().toISOString()} starting kafka ${KAFKA_VERSION} node ${node.id} on ${node.address}\n`,
  );
  const jvm = spawn(
    'java',
    // Three JVMs share the machine: start small, grow if needed.
    brokerJvmArgs('-Xms128m -Xmx512m', node.dir, propsFile),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const r = { node, jvm, brokerLog, pidFile, tail: [], alive: true };
  writeFileSync(pidFile, `${jvm.pid}\n`);
  r.exited = new Promise((done) =>
    jvm.once('exit', (code, signal) => {
      r.alive = false;
      // A pid file outliving its JVM could name an unrelated process later.
      rmSync(pidFile, { force: true });
      logStream.end();
      done({ code, signal });
    }),
  );
  guardAgainstOrphan(jvm.pid, { signal: 'SIGTERM', graceMs: 20000 });
  followOutput(jvm, logStream, (line) => {
    r.tail.push(line);
    if (r.tail.length > 40) r.tail.shift();
    if (!flags.quiet) process.stderr.write(`${PREFIX} [node ${node.id}] ${line}\n`);
  });
  return r;
}

/** Node `node` serves clients and knows itself as a registered broker. */
async function waitForNode(node, timeoutMs) {
  const deadline = startedAt + timeoutMs;
  while (Date.now() < deadline) {
    const ids = await brokerIds([node.address]);
    if (ids?.includes(node.id)) return true;
    await sleep(250);
  }
  return false;
}

/** How many brokers the cluster metadata lists, as seen through `addresses`; 0 if none answers. */
async function clusterSize(addresses) {
  return (await brokerIds(addresses))?.length ?? 0;
}

async function brokerIds(addresses) {
  const kafka = new kafkajs.Kafka({
    clientId: 'local-kafka-probe',
    brokers: addresses,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.map((b) => b.nodeId);
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------

/** One admin round trip (as the admin user when secured); quiet and quick, so it can be polled. */
async function brokerAnswers(addresses, secured = security) {
  const kafka = new kafkajs.Kafka({
    clientId: 'local-kafka-probe',
    brokers: addresses,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
    ...(secured
      ? {
          ssl: { ca: [readFileSync(secured.caFile, 'utf8')], rejectUnauthorized: true },
          sasl: { mechanism: 'scram-sha-512', username: 'admin', password: secured.users.admin },
        }
      : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function waitForBroker(addresses, timeoutMs, secured) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await brokerAnswers(addresses, secured)) return true;
    await sleep(250);
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

/**
 * Calls stop once on SIGINT/SIGTERM, and also when our parent goes away
 * (nx, jest or a shell killed hard), so the broker is never orphaned.
 */
function onStopRequest(stop) {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  const timer = setInterval(() => {
    if (process.ppid !== parentPid) stop('parent process exited');
  }, 1_000);
  timer.unref();
}

async function stopProcess(child, exited, graceMs) {
  safeKill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => safeKill(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function detectJavaMajor() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr + result.stdout);
  if (!match) return undefined;
  const major = Number(match[1]);
  // Java 8 and older report "1.8.0_x".
  return major === 1 ? Number(match[2]) : major;
}

function dockerAnswers() {
  const result = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
  return !result.error && result.status === 0;
}

function splitHostPort(address) {
  const idx = address.lastIndexOf(':');
  if (idx <= 0) fail(`KAFKA_BROKERS entry "${address}" must be host:port`, 2);
  return [address.slice(0, idx).replace(/^\[|\]$/g, ''), address.slice(idx + 1)];
}

function parsePort(raw, name) {
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || n < 1 || n > 65535)
    fail(`${name} must be a port number (got "${raw}")`, 2);
  return n;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function fail(message, code = 1) {
  console.error(`${PREFIX} ${message}`);
  process.exit(code);
}
