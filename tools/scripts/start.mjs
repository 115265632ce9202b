// `npm start`: installs what is missing, then runs `nx run-many -t serve`
// (the Kafka broker, the PostgreSQL server, RabbitMQ and ElasticMQ, all seven services, the edge gateway and the
// console), waits until every service reports SERVING and the gateway and the console answer, and prints where to
// find them. Every process it starts sends its traces, metrics and logs to the console, unless the user set an OTLP
// endpoint of their own. Ctrl-C stops the whole process group.
// Without RabbitMQ installed, everything else runs: its advice is printed once, and the banner lists the
// subscription service as waiting for RabbitMQ rather than waiting for it (the service serves its API and keeps
// matched deliveries until a broker answers; the banner says when it does).
// `--kafka-nodes N` (or KAFKA_NODES=N) runs an N-node Kafka cluster instead of one broker and gives every process
// the whole broker list.
import './require-node.mjs';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clusterBrokers, parseNodeCount } from '../kafka/src/plan-kafka-cluster.mjs';
import { consoleTelemetryEnv, consoleUrl } from './console-telemetry-env.mjs';
import { ensureWorkspace } from './ensure-workspace.mjs';

const usage = `usage: npm start [-- --kafka-nodes N]

  --kafka-nodes N   run an N-node KRaft cluster (1 to 9; default KAFKA_NODES or 1) instead of a single
                    broker; the services get all N addresses in KAFKA_BROKERS (127.0.0.1:9092..9092+N-1
                    unless KAFKA_BROKERS lists N addresses or names another first port)`;
let kafka;
try {
  const { values } = parseArgs({
    options: {
      'kafka-nodes': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  kafka = planKafka(values['kafka-nodes']);
} catch (err) {
  console.error(`[switchboard] ${err.message}\n\n${usage}`);
  process.exit(2);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
ensureWorkspace(root);
const { SERVICES, checkHealth, serviceAddress, waitForServing } =
  await import('./service-health.mjs');
const { planRabbitMq } = await import('./rabbitmq-plan.mjs');

const started = Date.now();
// The nx daemon would outlive Ctrl-C; a one-shot run leaves nothing behind.
// npm start is the development stack: published defaults and demo data are allowed.
// Telemetry goes to the console for these processes only; the services' own default is to export nothing.
const telemetryEnv = consoleTelemetryEnv(process.env);
const env = {
  SWITCHBOARD_ENV: 'development',
  // The walkthrough's webhook receiver runs on this machine; the service
  // refuses this flag outside development, and refuses loopback sinks without it.
  SUBSCRIPTION_ALLOW_LOOPBACK_SINKS: 'true',
  ...process.env,
  ...telemetryEnv,
  // kafka:serve and every service read these: one cluster, one broker list for all.
  KAFKA_NODES: String(kafka.nodes),
  KAFKA_BROKERS: kafka.brokers,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  FORCE_COLOR: '0',
};
const consoleBase = consoleUrl(process.env);
console.log(
  telemetryEnv.OTEL_EXPORTER_OTLP_ENDPOINT
    ? `[switchboard] telemetry (traces, metrics, logs) goes to the console at ${consoleBase}`
    : '[switchboard] telemetry goes to the OTLP endpoint you set (OTEL_EXPORTER_OTLP_*ENDPOINT)',
);
const rabbitMq = await planRabbitMq(root, process.env);
if (rabbitMq.missing) {
  // Once, here, instead of from a serve task that could only fail.
  console.warn(
    `${rabbitMq.advice}\n[switchboard] starting everything else` +
      (rabbitMq.waiting.length > 0
        ? `; ${rabbitMq.waiting.join(', ')} serves its API and keeps matched deliveries until RabbitMQ answers`
        : ''),
  );
}
const waiting = SERVICES.filter((s) => rabbitMq.waiting.includes(s.name));
const awaited = SERVICES.filter((s) => !rabbitMq.waiting.includes(s.name));
// detached: nx and everything it spawns share one process group we can signal as a whole.
const serveArgs = ['nx', 'run-many', '-t', 'serve', '--outputStyle=stream'];
if (rabbitMq.missing) serveArgs.push('--exclude=rabbitmq');
const nx = spawn('npx', serveArgs, {
  cwd: root,
  env,
  stdio: 'inherit',
  detached: true,
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n[switchboard] ${signal}: stopping services, broker and database...`);
  try {
    process.kill(-nx.pid, 'SIGTERM');
  } catch {
    // the group is already gone
  }
  // Services drain for up to their grace period; after that nothing may linger.
  setTimeout(() => {
    try {
      process.kill(-nx.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 25_000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
function groupAlive() {
  try {
    process.kill(-nx.pid, 0);
    return true;
  } catch {
    return false;
  }
}

nx.on('exit', async (code, signal) => {
  const unexpected = !stopping;
  if (unexpected) {
    console.error(`[switchboard] nx exited unexpectedly (${signal ?? code})`);
    stop('nx exit');
  }
  // nx may exit before its tasks finish draining; wait for the whole group so
  // that no service or JVM outlives this command (the SIGKILL timer is the bound).
  while (groupAlive()) await new Promise((r) => setTimeout(r, 200));
  process.exit(unexpected ? code || 1 : 0);
});

const timeoutMs = Number(process.env.START_TIMEOUT_MS ?? 180_000);
const { ready, statuses } = await waitForServing({
  timeoutMs,
  isCancelled: () => stopping,
  services: awaited,
});
if (stopping) {
  // Ctrl-C during start-up: the exit handler above finishes the job.
} else if (!ready) {
  console.error('[switchboard] not every service became SERVING in time:');
  awaited.forEach((s, i) => console.error(`  ${s.name.padEnd(22)} ${statuses[i]}`));
} else {
  // The banner promises a working edge and console too, so curl or a browser right after it works.
  const edge = `http://127.0.0.1:${process.env.EDGE_PORT ?? 8080}`;
  const remainingMs = Math.max(5_000, timeoutMs - (Date.now() - started));
  const [edgeUp, consoleUp] = await Promise.all([
    waitForHealthz(edge, remainingMs),
    waitForHealthz(consoleBase, remainingMs),
  ]);
  if (!edgeUp && !stopping)
    console.error(`[switchboard] the edge gateway did not answer at ${edge}/healthz`);
  if (!consoleUp && !stopping)
    console.error(`[switchboard] the console did not answer at ${consoleBase}/healthz`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const rows = SERVICES.map(
    (s) =>
      `  ${s.name.padEnd(22)} ${serviceAddress(s)}` +
      (waiting.includes(s) ? '  NOT_SERVING: waiting for RabbitMQ (not installed; see above)' : ''),
  ).join('\n');
  const headline =
    waiting.length === 0
      ? 'all seven services are SERVING'
      : `${awaited.length} of ${SERVICES.length} services are SERVING, ` +
        `${waiting.map((s) => s.name).join(', ')} waits for RabbitMQ`;
  console.log(
    `\n[switchboard] ${headline} (${seconds}s)\n${rows}\n` +
      `  kafka                  ${kafka.brokers}` +
      (kafka.nodes > 1 ? `  (${kafka.nodes}-node KRaft cluster)` : '') +
      '\n' +
      `  postgres               ${maskedDatabaseUrl()}\n` +
      `  edge-gateway (HTTP)    ${edge}  (REST, Connect, gRPC-Web)${edgeUp ? '' : '  NOT ANSWERING'}\n` +
      `  console                ${consoleBase}${consoleUp ? '' : '  NOT ANSWERING'}\n` +
      `Try: grpcurl -plaintext 127.0.0.1:50052 list   ·   Ctrl-C stops everything.\n`,
  );
  for (const service of waiting) void announceWhenServing(service);
}

/** A service left waiting (for RabbitMQ) becomes SERVING by itself once its broker answers: say so. */
async function announceWhenServing(service) {
  while (!stopping) {
    if ((await checkHealth(serviceAddress(service))) === 'SERVING') {
      if (!stopping) console.log(`[switchboard] ${service.name} is SERVING now`);
      return;
    }
    await new Promise((r) => setTimeout(r, 2_000).unref());
  }
}

/**
 * Polls `base`/healthz until it answers 200: the gateway's once its upstreams
 * are all SERVING, the console's once it serves.
 */
async function waitForHealthz(base, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping && Date.now() < deadline) {
    const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * How many Kafka nodes to run (the flag over KAFKA_NODES) and the broker list
 * every process gets: the cluster's N addresses, or KAFKA_BROKERS as it was for one node.
 */
function planKafka(flag) {
  const nodes = parseNodeCount(
    flag ?? process.env.KAFKA_NODES,
    flag === undefined ? 'KAFKA_NODES' : '--kafka-nodes',
  );
  if (nodes === 1) return { nodes, brokers: process.env.KAFKA_BROKERS || '127.0.0.1:9092' };
  const brokers = clusterBrokers({ nodes, kafkaBrokers: process.env.KAFKA_BROKERS });
  return { nodes, brokers: brokers.join(',') };
}

/** Where the services keep their data (switchboard_<service> on this server), password masked. */
function maskedDatabaseUrl() {
  const url = process.env.DATABASE_URL || 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
