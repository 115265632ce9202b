// The local overlay under `podman kube play`, smoke-tested with grpcurl (issue #13):
//
//   1. the images: apache/kafka, postgres and rabbitmq (local stand-ins where Docker Hub cannot
//      be reached, tools/images/ensure-stand-in-images.sh) and switchboard/<app>:dev
//      (`npm run images`), which must exist;
//   2. release/kubernetes-manifests-local.yaml, which must be current (release:manifests
//      --check), played on a podman network of its own, with the changes kube play 4.3 needs
//      (kube-play-manifest.mjs);
//   3. every gRPC service SERVING on grpc.health.v1 and listing its service by reflection, the
//      edge's /healthz answering 200 and the console taking connections, reached from the host
//      through the pods' addresses on that network; then the demo customer logs in, places an
//      order (its idempotency key replayed gives the same order), and the order reaches the
//      sales report through Kafka, polled with a deadline;
//   4. always: the pods, the podman secrets, the volumes and the network it made are removed,
//      and on failure the logs of the pods that were not serving are printed.
//
// Run as root (podman as root, and the host reaches the pods' bridge network only as root).
// Usage: node deploy/scripts/kube-play-smoke.mjs
// Env: KUBE_SMOKE_NETWORK (default switchboard-kube-smoke), KUBE_SMOKE_UP_TIMEOUT_MS (300000),
//      KUBE_SMOKE_EVENT_TIMEOUT_MS (60000).
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKubePlayManifest } from './kube-play-manifest.mjs';
import { root } from './render-overlay.mjs';

const run = promisify(execFile);

/** Read once, at the start of main, so a bad value ends the run with its message. */
let config;
const MANIFEST = 'release/kubernetes-manifests-local.yaml';
const GRPC_SERVICES = [
  { pod: 'auth-service-pod-0', port: 50051, service: 'switchboard.auth.v1.AuthService' },
  {
    pod: 'inventory-service-pod-0',
    port: 50052,
    service: 'switchboard.inventory.v1.InventoryService',
  },
  { pod: 'order-service-pod-0', port: 50053, service: 'switchboard.order.v1.OrderService' },
  { pod: 'post-service-pod-0', port: 50054, service: 'switchboard.post.v1.PostService' },
  {
    pod: 'notification-service-pod-0',
    port: 50055,
    service: 'switchboard.notification.v1.NotificationService',
  },
  {
    pod: 'reporting-service-pod-0',
    port: 50056,
    service: 'switchboard.reporting.v1.ReportingService',
  },
  {
    pod: 'subscription-service-pod-0',
    port: 50057,
    service: 'switchboard.subscription.v1.SubscriptionService',
  },
];
const EDGE = { pod: 'edge-gateway-pod-0', port: 8080 };
const CONSOLE = { pod: 'console-pod-0', port: 8088 };
// The development credentials the local overlay seeds (README, "Configuration").
const DEMO = { email: 'demo@switchboard.local', password: 'switchboard-demo' };
const ADMIN = { email: 'admin@switchboard.local', password: 'switchboard-admin' };
const ORDER_ITEMS = [{ sku: 'COF-KEN-250', quantity: 2 }];

function readConfig(env) {
  const positive = (name, fallback) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(
        `${name} must be a positive whole number of milliseconds, not "${env[name]}"`,
      );
    }
    return value;
  };
  const network = env.KUBE_SMOKE_NETWORK || 'switchboard-kube-smoke';
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(network)) {
    throw new Error(`KUBE_SMOKE_NETWORK "${network}" is not a valid podman network name`);
  }
  return {
    network,
    upTimeoutMs: positive('KUBE_SMOKE_UP_TIMEOUT_MS', 300_000),
    eventTimeoutMs: positive('KUBE_SMOKE_EVENT_TIMEOUT_MS', 60_000),
  };
}

const log = (message) => console.log(`[kube-smoke] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

class SmokeFailure extends Error {
  /** @param {string} message @param {string[]} [pods] the pods whose logs explain it */
  constructor(message, pods = []) {
    super(message);
    this.pods = pods;
  }
}

async function podman(args, { allowFailure = false } = {}) {
  try {
    const { stdout } = await run('podman', args, { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stdout, stderr: '' };
  } catch (error) {
    if (!allowFailure) {
      throw new SmokeFailure(
        `podman ${args.join(' ')} failed: ${String(error.stderr || error.message).trim()}`,
      );
    }
    return { ok: false, stdout: error.stdout ?? '', stderr: String(error.stderr ?? error.message) };
  }
}

function findGrpcurl() {
  const onPath = spawnSync('sh', ['-c', 'command -v grpcurl']).stdout.toString().trim();
  if (onPath) return onPath;
  const candidate = join(homedir(), 'go', 'bin', 'grpcurl');
  if (existsSync(candidate)) return candidate;
  throw new SmokeFailure(
    'grpcurl not found: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4',
  );
}

/** grpcurl with a time limit; resolves with its outcome, never rejects. */
async function grpcurl(args) {
  try {
    const limited = args.includes('-max-time') ? args : ['-max-time', '10', ...args];
    const { stdout, stderr } = await run(grpcurlPath, ['-plaintext', ...limited]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    return {
      code: error.code ?? 1,
      stdout: error.stdout ?? '',
      stderr: String(error.stderr ?? error.message),
    };
  }
}

/** A unary call that must succeed; returns the parsed JSON response. */
async function call(address, method, body, headers = {}) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const result = await grpcurl([...h, '-d', JSON.stringify(body), address, method]);
  if (result.code !== 0) {
    throw new SmokeFailure(`${method} on ${address} failed: ${result.stderr.trim()}`, [
      podOf(address),
    ]);
  }
  return JSON.parse(result.stdout);
}

let grpcurlPath;
const addresses = new Map(); // pod → IP on the smoke network
const podOf = (address) =>
  [...addresses].find(([, ip]) => address.startsWith(`${ip}:`))?.[0] ?? address;
const at = (target) => `${addresses.get(target.pod)}:${target.port}`;

async function podAddress(pod) {
  const infra = (
    await podman(['pod', 'inspect', pod, '--format', '{{.InfraContainerID}}'])
  ).stdout.trim();
  const networks = JSON.parse(
    (await podman(['inspect', infra, '--format', '{{json .NetworkSettings.Networks}}'])).stdout,
  );
  const ip = networks?.[config.network]?.IPAddress;
  if (!ip) throw new SmokeFailure(`pod ${pod} has no address on network ${config.network}`, [pod]);
  return ip;
}

async function containerStates(pods) {
  const states = new Map();
  for (const pod of pods) {
    for (const container of pod.containers) {
      const name = `${pod.name}-${container}`;
      const inspected = await podman(
        ['inspect', name, '--format', '{{.State.Status}} {{.RestartCount}}'],
        {
          allowFailure: true,
        },
      );
      const [status = 'missing', restarts = '0'] = inspected.stdout.trim().split(' ');
      states.set(name, { pod: pod.name, status, restarts: Number(restarts) });
    }
  }
  return states;
}

const healthOf = async (address, maxSeconds = '10') => {
  const result = await grpcurl([
    '-max-time',
    maxSeconds,
    '-d',
    '{}',
    address,
    'grpc.health.v1.Health/Check',
  ]);
  return result.code === 0
    ? JSON.parse(result.stdout).status
    : `unreachable (${result.stderr.trim()})`;
};

async function httpStatus(url) {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;
  } catch (error) {
    return `unreachable (${error.cause?.code ?? error.message})`;
  }
}

function tcpOpen(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until every gRPC service is SERVING, the edge is healthy and the console listens. */
async function waitUntilServing(plan, started) {
  const deadline = started + config.upTimeoutMs;
  for (;;) {
    for (const pod of plan.pods) {
      if (!addresses.has(pod.name)) addresses.set(pod.name, await podAddress(pod.name));
    }
    // All at once and briefly, so one unanswering pod does not stretch a round past the deadline.
    const probes = await Promise.all([
      ...GRPC_SERVICES.map(async (target) => {
        const status = await healthOf(at(target), '3');
        return [target.pod, status === 'SERVING' ? undefined : `health ${status}`];
      }),
      (async () => {
        const edge = await httpStatus(`http://${at(EDGE)}/healthz`);
        return [EDGE.pod, edge === 200 ? undefined : `/healthz ${edge}`];
      })(),
      (async () => {
        const open = await tcpOpen(addresses.get(CONSOLE.pod), CONSOLE.port);
        return [CONSOLE.pod, open ? undefined : 'not listening'];
      })(),
    ]);
    const pending = new Map(probes.filter(([, why]) => why !== undefined));
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const states = await containerStates(plan.pods);
      const lines = [...pending].map(([pod, why]) => `  ${pod}: ${why}`);
      for (const [name, state] of states) {
        if (state.status !== 'running' || state.restarts > 0) {
          lines.push(`  ${name}: ${state.status}, ${state.restarts} restarts`);
          pending.set(state.pod, state.status);
        }
      }
      throw new SmokeFailure(
        `not serving after ${seconds(config.upTimeoutMs)}:\n${lines.join('\n')}`,
        [...pending.keys()],
      );
    }
    await sleep(2000);
  }
}

async function smoke() {
  for (const target of GRPC_SERVICES) {
    const listed = await grpcurl([at(target), 'list']);
    const names = listed.stdout.trim().split('\n');
    for (const expected of [
      target.service,
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
    ]) {
      if (!names.includes(expected)) {
        throw new SmokeFailure(
          `${target.pod}: reflection does not list ${expected} (got: ${names.join(', ')}${listed.stderr.trim()})`,
          [target.pod],
        );
      }
    }
    const status = await healthOf(at(target));
    if (status !== 'SERVING')
      throw new SmokeFailure(`${target.pod}: health ${status}`, [target.pod]);
  }
  log(`${GRPC_SERVICES.length} services SERVING, each listing its service, health and reflection`);

  const [auth, order, reporting] = [GRPC_SERVICES[0], GRPC_SERVICES[2], GRPC_SERVICES[5]].map(at);
  const login = async (who) => {
    const { accessToken } = await call(auth, 'switchboard.auth.v1.AuthService/Login', who);
    if (!accessToken)
      throw new SmokeFailure(`Login of ${who.email} gave no access token`, [podOf(auth)]);
    return { authorization: `Bearer ${accessToken}` };
  };
  const demo = await login(DEMO);
  const admin = await login(ADMIN);
  log('the demo customer and the admin logged in');

  const report = () =>
    call(reporting, 'switchboard.reporting.v1.ReportingService/GetSalesReport', {}, admin);
  const countOf = (r) => Number(r.orderCount ?? 0);
  const revenueOf = (r) => Number(r.revenue?.amountMinor ?? 0);
  const before = await report();

  const key = `kube-smoke-${randomUUID()}`;
  const placeOrder = () =>
    call(
      order,
      'switchboard.order.v1.OrderService/PlaceOrder',
      { items: ORDER_ITEMS },
      { ...demo, 'idempotency-key': key },
    );
  const placed = (await placeOrder()).order;
  if (placed?.status !== 'ORDER_STATUS_PLACED' || !(Number(placed.total?.amountMinor) > 0)) {
    throw new SmokeFailure(`PlaceOrder did not place an order: ${JSON.stringify(placed)}`, [
      podOf(order),
    ]);
  }
  const replayed = (await placeOrder()).order;
  if (replayed?.orderId !== placed.orderId) {
    throw new SmokeFailure(
      `PlaceOrder with the same idempotency key gave another order: ${replayed?.orderId} != ${placed.orderId}`,
      [podOf(order)],
    );
  }
  log(
    `order ${placed.orderId} placed (${placed.total.amountMinor} ${placed.total.currencyCode} minor units)`,
  );

  // OrderPlaced leaves the order service through its outbox and Kafka; the reporting service
  // counts it once, whatever the replay above did.
  const placedAt = Date.now();
  const deadline = placedAt + config.eventTimeoutMs;
  let after = await report();
  while (countOf(after) < countOf(before) + 1) {
    if (Date.now() > deadline) {
      throw new SmokeFailure(
        `the sales report still counts ${countOf(after)} orders (${countOf(before)} before) ` +
          `${seconds(config.eventTimeoutMs)} after PlaceOrder: OrderPlaced did not reach reporting`,
        [podOf(order), podOf(reporting), 'kafka-pod-0'],
      );
    }
    await sleep(500);
    after = await report();
  }
  const expectedRevenue = revenueOf(before) + Number(placed.total.amountMinor);
  if (countOf(after) !== countOf(before) + 1 || revenueOf(after) !== expectedRevenue) {
    throw new SmokeFailure(
      `the sales report counts ${countOf(after)} orders and ${revenueOf(after)} revenue; ` +
        `expected ${countOf(before) + 1} and ${expectedRevenue}`,
      [podOf(order), podOf(reporting)],
    );
  }
  log(`the order reached the sales report through Kafka in ${seconds(Date.now() - placedAt)}`);
}

async function printLogs(plan, pods) {
  const wanted = new Set(pods);
  for (const pod of plan.pods.filter((p) => wanted.has(p.name))) {
    for (const container of pod.containers) {
      const name = `${pod.name}-${container}`;
      const logs = await podman(['logs', '--tail', '80', name], { allowFailure: true });
      console.log(
        `----- logs of ${name} (last 80 lines)\n${logs.stdout}${logs.stderr}----- end of ${name}`,
      );
    }
  }
}

/** Removes what this run made; returns what it could not remove. */
async function tearDown(made) {
  const leftovers = [];
  const firstLine = (text) => text.trim().split('\n')[0];
  // Stopped in parallel, as each waits for its services' graceful shutdown; removed one at a
  // time, because podman 4.3 panics when two pod removals race for the volume they share.
  await Promise.all(
    made.pods.map((pod) => podman(['pod', 'stop', '--time', '20', pod], { allowFailure: true })),
  );
  for (const pod of made.pods) {
    const removed = await podman(['pod', 'rm', '--force', pod], { allowFailure: true });
    if (!removed.ok && !/no such pod/.test(removed.stderr)) {
      leftovers.push(`pod ${pod}: ${firstLine(removed.stderr)}`);
    }
  }
  for (const volume of made.volumes) {
    const removed = await podman(['volume', 'rm', '--force', volume], { allowFailure: true });
    if (!removed.ok && !/no such volume/.test(removed.stderr)) leftovers.push(`volume ${volume}`);
  }
  for (const secret of made.secrets) {
    const removed = await podman(['secret', 'rm', secret], { allowFailure: true });
    if (!removed.ok && !/no such secret/.test(removed.stderr)) leftovers.push(`secret ${secret}`);
  }
  if (made.network) {
    const removed = await podman(['network', 'rm', config.network], { allowFailure: true });
    if (!removed.ok) leftovers.push(`network ${config.network}: ${firstLine(removed.stderr)}`);
  }
  return leftovers;
}

/** Refuses to start over pods, volumes, secrets or a network of the same names: not ours. */
async function checkNothingInTheWay(plan) {
  const names = async (args) =>
    new Set(
      (await podman(args)).stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const pods = await names(['pod', 'ls', '--format', '{{.Name}}']);
  const volumes = await names(['volume', 'ls', '--format', '{{.Name}}']);
  const secrets = await names(['secret', 'ls', '--format', '{{.Name}}']);
  const networks = await names(['network', 'ls', '--format', '{{.Name}}']);
  const inTheWay = [
    ...plan.pods.filter((p) => pods.has(p.name)).map((p) => `pod ${p.name}`),
    ...plan.volumes.filter((v) => volumes.has(v)).map((v) => `volume ${v}`),
    ...plan.secrets.filter((s) => secrets.has(s.name)).map((s) => `secret ${s.name}`),
    ...(networks.has(config.network) ? [`network ${config.network}`] : []),
  ];
  if (inTheWay.length > 0) {
    throw new SmokeFailure(
      `already there, from another kube play of the local overlay (remove them, or set KUBE_SMOKE_NETWORK ` +
        `for the network): ${inTheWay.join(', ')}`,
    );
  }
}

async function main() {
  config = readConfig(process.env);
  if (process.getuid?.() !== 0)
    throw new SmokeFailure(
      'run as root: podman as root, and the pods are reached on its bridge network',
    );
  grpcurlPath = findGrpcurl();
  const timings = [];
  let mark = Date.now();

  const standIns = spawnSync(join(root, 'tools/images/ensure-stand-in-images.sh'), ['podman'], {
    stdio: 'inherit',
  });
  if (standIns.status !== 0)
    throw new SmokeFailure('the Kafka, PostgreSQL and RabbitMQ images are not available');
  timings.push(`images ${seconds(Date.now() - mark)}`);

  const current = spawnSync(
    process.execPath,
    [join(root, 'deploy/scripts/release-manifests.mjs'), '--check'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (current.status !== 0) {
    throw new SmokeFailure(
      `${MANIFEST} is not current: run npm run release:manifests\n${current.stdout}${current.stderr}`,
    );
  }
  const plan = createKubePlayManifest(readFileSync(join(root, MANIFEST), 'utf8'));
  const images = [
    ...readFileSync(join(root, MANIFEST), 'utf8').matchAll(/image: (switchboard\/\S+)/g),
  ].map((m) => m[1]);
  for (const image of new Set(images)) {
    if (!(await podman(['image', 'exists', image], { allowFailure: true })).ok) {
      throw new SmokeFailure(`image ${image} is missing: run npm run images`);
    }
  }
  await checkNothingInTheWay(plan);

  const work = mkdtempSync(join(tmpdir(), 'switchboard-kube-smoke-'));
  const file = join(work, 'kubernetes-manifests-local.kube-play.yaml');
  writeFileSync(file, plan.yaml);
  const made = {
    pods: plan.pods.map((p) => p.name),
    volumes: plan.volumes,
    secrets: [],
    network: false,
  };
  let failure;
  const interrupted = new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => resolve(signal));
  });
  try {
    const steps = (async () => {
      for (const secret of plan.secrets) {
        // From a file: podman reads "-" only from a named pipe, and Node's stdio is a socket.
        const path = join(work, `${secret.name}.json`);
        writeFileSync(path, secret.json, { mode: 0o600 });
        await podman(['secret', 'create', secret.name, path]);
        rmSync(path);
        made.secrets.push(secret.name);
      }
      await podman(['network', 'create', config.network]);
      made.network = true;
      mark = Date.now();
      await podman(['kube', 'play', '--network', config.network, file]);
      log(
        `${plan.pods.length} pods created in ${seconds(Date.now() - mark)}; waiting for them to serve`,
      );
      await waitUntilServing(plan, mark);
      timings.push(`kube play until every service serves ${seconds(Date.now() - mark)}`);
      mark = Date.now();
      await smoke();
      timings.push(`smoke ${seconds(Date.now() - mark)}`);
    })();
    // Settled here or below; a failure after an interrupt is the interrupt's consequence.
    steps.catch(() => {});
    const signal = await Promise.race([steps, interrupted]);
    if (signal) throw new SmokeFailure(`${signal}: stopping`);
  } catch (error) {
    failure = error;
    console.error(`[kube-smoke] FAILED: ${error.message}`);
    if (error instanceof SmokeFailure && error.pods.length > 0) await printLogs(plan, error.pods);
  } finally {
    mark = Date.now();
    const leftovers = await tearDown(made);
    rmSync(work, { recursive: true, force: true });
    timings.push(`teardown ${seconds(Date.now() - mark)}`);
    if (leftovers.length > 0) {
      console.error(`[kube-smoke] could not remove: ${leftovers.join('; ')}`);
      failure ??= new Error('teardown left things behind');
    }
  }
  log(timings.join(', '));
  if (failure) process.exit(1);
  log('passed');
}

main().catch((error) => {
  console.error(`[kube-smoke] FAILED: ${error.message}`);
  process.exit(1);
});
