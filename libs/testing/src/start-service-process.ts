import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type ClientTls } from '@switchboard/rpc';
import { findWorkspaceRoot } from './find-workspace-root';
import { freePort } from './kafka-test-broker';
import { createTestDatabase } from './postgres-test-server';
import { bundleMain, spawnBundle } from './spawn-bundle';

// Kept apart from kafka-test-broker.ts on purpose: that file is loaded by jest's
// global setup, which has no path aliases, and this one needs @switchboard/*.

/** The workspace's services, by their folder under apps/. */
export const serviceApps = [
  'auth-service',
  'inventory-service',
  'order-service',
  'post-service',
  'notification-service',
  'reporting-service',
  'subscription-service',
] as const;

export type ServiceApp = (typeof serviceApps)[number];

export interface StartServiceProcessOptions {
  app: ServiceApp;
  /**
   * Added to the process's environment, over the defaults: `<KEY>_HOST`
   * 127.0.0.1 and `<KEY>_PORT` a free port (KEY is AUTH, INVENTORY, …),
   * SWITCHBOARD_ENV development, LOG_LEVEL warn, SEED_DEMO_DATA false, SHUTDOWN_GRACE_MS 2000, this
   * process's KAFKA_BROKERS, a fresh database of its own on the test server
   * as `<KEY>_DATABASE_URL` (dropped once the process has ended) unless
   * `<KEY>_DATABASE_URL` or DATABASE_URL is given, and `<KEY>_METRICS_PORT` 0 (any
   * free port), so tests never collide with `npm start`'s metrics ports.
   */
  env?: Record<string, string>;
  /** How long it may take to answer SERVING. Defaults to 60 s. */
  startTimeoutMs?: number;
  /**
   * 'serving' (default) waits for health SERVING; 'answering' only for a
   * health answer of any kind, for tests of a service whose dependencies are
   * down on purpose.
   */
  waitFor?: 'serving' | 'answering';
  /** How the health check dials it, when `env` gives it TLS_* files; plaintext otherwise. */
  tls?: ClientTls;
}

export interface ServiceProcess {
  readonly app: ServiceApp;
  readonly pid: number;
  readonly port: number;
  /** 127.0.0.1:port */
  readonly address: string;
  /** The database made for it when the test gave no database URL; dropped once it has ended. */
  readonly ownDatabase?: string;
  /**
   * Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after
   * 20 s. Resolves at once when it has already exited.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGKILL, as a crash: no shutdown runs. Waits for the exit. */
  kill(): Promise<void>;
  /** The last 64 KiB it wrote to stdout and stderr. */
  output(): string;
}

const SERVICE_KEYS = [
  'AUTH',
  'INVENTORY',
  'ORDER',
  'POST',
  'NOTIFICATION',
  'REPORTING',
  'SUBSCRIPTION',
];
/**
 * Variables that point a service at a port, a peer or a database, or give it
 * TLS files. A developer's shell may set them for `npm start`; inherited, they
 * would aim a test's service at the developer's system (or the end-to-end
 * test's ports), or make it serve TLS to a test that did not ask for it.
 */
const INHERITED_BUT_DROPPED = new RegExp(
  `^(DATABASE_URL|DATA_DIR|TLS_(CERT_FILE|KEY_FILE|CA_FILE|CLIENT_AUTH)|(${SERVICE_KEYS.join('|')})_(HOST|PORT|ADDR|DATABASE_URL))$`,
);
const STOP_GRACE_MS = 20_000;
const OUTPUT_LIMIT = 64 * 1024;

const running = new Set<ServiceProcess>();

/**
 * A workspace service as a real OS process, built from its main.ts as
 * `npm start` builds it and configured only through its environment, so a test
 * sees exactly what a client of the deployed service sees. Resolves once its
 * grpc.health.v1 Check answers SERVING.
 *
 * Nothing outlives the test file: every process still running when the file's
 * tests end is killed (see the afterAll below), and a process whose test runner
 * died shuts itself down (exit-with-parent.cjs).
 */
export async function startServiceProcess(
  options: StartServiceProcessOptions,
): Promise<ServiceProcess> {
  const { app } = options;
  const given = options.env ?? {};
  const key = app.replace(/-service$/, '').toUpperCase();
  const bundle = await bundleOf(app);
  const port = Number(given[`${key}_PORT`] ?? (await freeTestPort()));
  const ownsDatabase =
    given[`${key}_DATABASE_URL`] === undefined && given.DATABASE_URL === undefined;
  const database = ownsDatabase ? await createTestDatabase(app.replace('-', '_')) : undefined;

  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !INHERITED_BUT_DROPPED.test(entry[0]),
    ),
  );
  const env: Record<string, string> = {
    ...inherited,
    [`${key}_HOST`]: '127.0.0.1',
    SWITCHBOARD_ENV: 'development',
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'false',
    SHUTDOWN_GRACE_MS: '2000',
    [`${key}_METRICS_PORT`]: '0',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    ...(database === undefined ? {} : { [`${key}_DATABASE_URL`]: database.url }),
    ...given,
    [`${key}_PORT`]: String(port),
  };

  const child = spawnBundle(findWorkspaceRoot(__dirname), bundle, env);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    if (process.env.TEST_LOGS) process.stderr.write(`[${app}] ${chunk.toString('utf8')}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
  });
  // A spawn failure (no such executable) arrives as 'error', and 'exit' may never follow.
  const spawnFailed = new Promise<string>((resolve) =>
    child.once('error', (err) => resolve(`spawn error: ${err.message}`)),
  );
  const ended = Promise.race([exited, spawnFailed]);
  let hasEnded = false;
  void ended.then(() => {
    hasEnded = true;
    running.delete(handle);
  });
  // Its own database goes with it; stop() and kill() wait for that too.
  const cleanedUp = ended.then(() => database?.drop().catch(() => undefined));

  async function signalAndWait(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!hasEnded) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await ended;
      clearTimeout(timer);
    }
    await cleanedUp;
  }

  const handle: ServiceProcess = {
    app,
    pid: child.pid ?? -1,
    port,
    address: `127.0.0.1:${port}`,
    ownDatabase: database?.name,
    stop: (signal = 'SIGTERM') => signalAndWait(signal, STOP_GRACE_MS),
    kill: () => signalAndWait('SIGKILL', 0),
    output: () => output,
  };
  running.add(handle);

  try {
    await waitUntilServing(
      handle.address,
      ended,
      options.startTimeoutMs ?? 60_000,
      app,
      options.waitFor ?? 'serving',
      options.tls,
    );
  } catch (err) {
    await handle.kill();
    throw new Error(`${(err as Error).message}\n--- ${app} output ---\n${output}`, { cause: err });
  }
  return handle;
}

/** `npm start`'s well-known ports, which the end-to-end test uses while other tests run. */
export const isWellKnownServicePort = (port: number) => port >= 50051 && port <= 50057;

/** A free loopback port outside the well-known service ports. */
async function freeTestPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!isWellKnownServicePort(port)) return port;
  }
}

/** Kills every service process this test file started and has not stopped. */
export async function stopAllServiceProcesses(): Promise<void> {
  await Promise.all([...running].map((service) => service.kill()));
}

// Registered when a test file imports this module (at the file's top level,
// so it runs after the file's own afterAll hooks): whatever a test forgot to
// stop, or left behind by failing half-way, dies with the file.
if (typeof afterAll === 'function') {
  try {
    afterAll(stopAllServiceProcesses);
  } catch {
    // Imported lazily from inside a test, where hooks cannot be added; the
    // exit-with-parent guard still ends the processes with the runner.
  }
}

async function waitUntilServing(
  address: string,
  ended: Promise<string>,
  timeoutMs: number,
  app: string,
  waitFor: 'serving' | 'answering',
  tls: ClientTls | undefined,
): Promise<void> {
  const transport = createGrpcJsTransport({
    address,
    tls,
    defaultTimeoutMs: 1_000,
    // grpc-js backs off for a second and more after a refused connection;
    // the process is about to listen, so keep knocking quickly.
    channelOptions: {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 200,
    },
  });
  const health = createServiceClient(Health, transport);
  let exit: string | undefined;
  void ended.then((how) => (exit = how));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  try {
    for (;;) {
      if (exit !== undefined) throw new Error(`${app} exited (${exit}) before it was serving`);
      if (Date.now() > deadline) {
        throw new Error(`${app} was not SERVING within ${timeoutMs} ms (last: ${last})`);
      }
      try {
        const { status } = await health.check({ service: '' });
        if (status === ServingStatus.SERVING || waitFor === 'answering') return;
        last = ServingStatus[status] ?? String(status);
      } catch (err) {
        last = (err as Error).message;
      }
      await Promise.race([sleep(100), ended]);
    }
  } finally {
    transport.close();
  }
}

const builds = new Map<ServiceApp, Promise<string>>();

/**
 * The service's bundle, built once per test run: keyed by a hash of its
 * sources, so every test file (and every jest worker) after the first reuses
 * it, and any edit to the service or a lib gets a fresh one.
 */
function bundleOf(app: ServiceApp): Promise<string> {
  let build = builds.get(app);
  if (build === undefined) {
    build = buildBundle(app);
    builds.set(app, build);
    build.catch(() => builds.delete(app));
  }
  return build;
}

async function buildBundle(app: ServiceApp): Promise<string> {
  const root = findWorkspaceRoot(__dirname);
  const dir = join(root, 'dist', 'test-services', `${app}-${sourceHash(root, app)}`);
  const file = join(dir, 'main.cjs');
  if (existsSync(file)) return file;
  // Built aside and renamed into place, so a parallel worker never runs half a file.
  const staging = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await bundleMain(root, `apps/${app}/src/main.ts`, relative(root, join(staging, 'main.cjs')));
    renameSync(staging, dir);
    removeOldBundles(join(root, 'dist', 'test-services'), app, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    // Another worker renamed the same build into place first: use that one.
    if (!existsSync(file)) throw err;
  }
  return file;
}

/**
 * Each edit to a lib makes a new bundle; the old ones go once nothing can
 * still be starting them (an hour is far beyond any test run).
 */
function removeOldBundles(parent: string, app: ServiceApp, keep: string): void {
  const cutoff = Date.now() - 60 * 60_000;
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (path === keep || !name.startsWith(`${app}-`)) continue;
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another run: fine.
    }
  }
}

/** Everything the bundle is made of: the app's sources, every lib's, and the build settings. */
function sourceHash(root: string, app: ServiceApp): string {
  const hash = createHash('sha256');
  const files = [join(root, 'tools', 'scripts', 'bundle.mjs'), join(root, 'tsconfig.base.json')];
  for (const dir of [join(root, 'apps', app, 'src'), join(root, 'libs')]) {
    for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (name.includes('node_modules') || !/\.(ts|json)$/.test(name) || name.endsWith('.spec.ts'))
        continue;
      files.push(join(dir, name));
    }
  }
  for (const path of files.sort()) {
    hash.update(relative(root, path));
    hash.update(readFileSync(path));
  }
  return hash.digest('hex').slice(0, 16);
}
