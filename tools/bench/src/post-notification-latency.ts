// End-to-end latency of the asynchronous path at rest: from the moment a
// CreatePost call returns to the moment the follower's WatchNotifications
// stream delivers the notification. In between: the post service's outbox
// relay, Kafka, the notification service's inbox consumer and fan-out, and
// its LISTEN/NOTIFY feed. Every piece is real: a private broker, and the
// auth, post and notification services as processes built from their
// main.ts, each on its own fresh database.
//
// Posts are created one at a time, each only after the previous one's
// notification arrived, so the figures are latency without queueing.
//
//   node tools/scripts/run-ts.mjs tools/bench/src/post-notification-latency.ts \
//     [--posts 1000] [--warmup 20]
//
// Databases go on the server TEST_DATABASE_URL names (default: 127.0.0.1:5432).
//
// Prints one line of percentiles; on failure, the error and the services'
// output go to stderr. Leaves nothing behind: processes, databases, folders.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ConnectError } from '@connectrpc/connect';
import {
  AuthService,
  type LoginResponse,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  NotificationService,
  PostService,
} from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, errorDetailsOf } from '@switchboard/rpc';
import {
  bundleMain,
  createTestDatabase,
  findWorkspaceRoot,
  freePort,
  isWellKnownServicePort,
  spawnBundle,
  startLocalBroker,
  type TestBroker,
  type TestDatabase,
} from '@switchboard/testing';

type App = 'auth-service' | 'post-service' | 'notification-service';

const APPS: readonly App[] = ['auth-service', 'post-service', 'notification-service'];
const SERVICE_KEYS = ['AUTH', 'INVENTORY', 'ORDER', 'POST', 'NOTIFICATION', 'REPORTING'];
/** Inherited, these would aim the bench's services at someone else's ports or databases. */
const DROPPED_ENV = new RegExp(
  `^(KAFKA_BROKERS|DATABASE_URL|DATA_DIR|(${SERVICE_KEYS.join('|')})_(HOST|PORT|ADDR|DATABASE_URL))$`,
);
const OUTPUT_LIMIT = 64 * 1024;
const START_TIMEOUT_MS = 90_000;
const NOTIFICATION_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 30_000;

interface Options {
  posts: number;
  warmup: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      posts: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '20' },
    },
  });
  const posts = Number(values.posts);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(posts) || posts < 1 || posts > 100_000)
    throw new Error('--posts must be a whole number from 1 to 100000');
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 10_000)
    throw new Error('--warmup must be a whole number from 0 to 10000');
  return { posts, warmup };
}

/** Cleanup steps, run last-registered first, once, whatever happened. */
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  })();
  return cleaning;
}

interface Service {
  readonly app: App;
  readonly address: string;
  output(): string;
}

const services: Service[] = [];

async function freeServicePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await freePort();
    if (!isWellKnownServicePort(port)) return port;
  }
  throw new Error('no free port outside the well-known service ports');
}

async function buildServices(root: string): Promise<Map<App, string>> {
  const bundles = new Map<App, string>();
  // Its own output folder: npm start and the tests build theirs elsewhere, maybe right now.
  for (const app of APPS) {
    const outfile = join('dist', 'bench-latency', app, 'main.cjs');
    await bundleMain(root, `apps/${app}/src/main.ts`, outfile);
    bundles.set(app, join(root, outfile));
  }
  return bundles;
}

/** Starts one service process and waits until its health check says SERVING. */
async function startService(
  root: string,
  app: App,
  bundle: string,
  env: Record<string, string>,
): Promise<Service> {
  const key = app.replace(/-service$/, '').toUpperCase();
  const port = await freeServicePort();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !DROPPED_ENV.test(entry[0]),
    ),
  );
  const child: ChildProcess = spawnBundle(root, bundle, {
    ...inherited,
    // The bench runs the development stack, as npm start does.
    SWITCHBOARD_ENV: 'development',
    LOG_LEVEL: 'warn',
    SEED_DEMO_DATA: 'false',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
    [`${key}_HOST`]: '127.0.0.1',
    [`${key}_PORT`]: String(port),
    // Any free port, so the bench never collides with npm start's metrics ports.
    [`${key}_METRICS_PORT`]: '0',
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  cleanups.push(async () => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const service: Service = { app, address: `127.0.0.1:${port}`, output: () => output };
  services.push(service);

  const transport = createGrpcJsTransport({
    address: service.address,
    defaultTimeoutMs: 1_000,
    // The process is about to listen: knock often rather than back off for seconds.
    channelOptions: {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 200,
    },
  });
  const health = createServiceClient(Health, transport);
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (hasExited) throw new Error(`${app} exited before it was serving`);
      if (Date.now() > deadline)
        throw new Error(`${app} was not SERVING within ${START_TIMEOUT_MS} ms`);
      const status = await health
        .check({ service: '' })
        .then((r) => r.status)
        .catch(() => undefined);
      if (status === ServingStatus.SERVING) return service;
      await sleep(100);
    }
  } finally {
    transport.close();
  }
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** The calls must not hang the bench forever on a stuck service. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Arrival time of each post's notification, as the watch stream delivers them. */
class Arrivals {
  private readonly times = new Map<string, number>();
  private waiter:
    { postId: string; resolve: (at: number) => void; reject: (err: Error) => void } | undefined;
  private ended: Error | undefined;

  record(postId: string, at: number): void {
    this.times.set(postId, at);
    if (this.waiter?.postId === postId) this.waiter.resolve(at);
  }

  /** The stream is gone: nothing more will arrive, so waiting any longer is pointless. */
  end(err: Error): void {
    this.ended = err;
    this.waiter?.reject(err);
  }

  /** Resolves with the arrival time, also when it arrived before this call. */
  async of(postId: string, timeoutMs: number): Promise<number> {
    const known = this.times.get(postId);
    if (known !== undefined) return known;
    if (this.ended !== undefined) throw this.ended;
    try {
      return await within(
        new Promise<number>((resolve, reject) => (this.waiter = { postId, resolve, reject })),
        timeoutMs,
        `the notification of post ${postId}`,
      );
    } finally {
      this.waiter = undefined;
    }
  }

  has(postId: string): boolean {
    return this.times.has(postId);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  // Nearest rank: an actual sample, never an interpolation.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

async function run(options: Options): Promise<string> {
  const root = findWorkspaceRoot(__dirname);
  const bundles = await buildServices(root);

  const broker: TestBroker = await startLocalBroker();
  cleanups.push(() => broker.stop());
  const kafka = broker.brokers.join(',');

  const databaseEnv = new Map<App, Record<string, string>>();
  for (const app of APPS) {
    const key = app.replace(/-service$/, '').toUpperCase();
    const database: TestDatabase = await createTestDatabase(`bench_${key.toLowerCase()}`);
    cleanups.push(() => database.drop());
    databaseEnv.set(app, { [`${key}_DATABASE_URL`]: database.url });
  }

  const admin = { email: `bench-admin-${randomUUID()}@example.com`, password: randomUUID() };
  const auth = await startService(root, 'auth-service', bundles.get('auth-service')!, {
    ...databaseEnv.get('auth-service'),
    KAFKA_BROKERS: kafka,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  const [post, notification] = await Promise.all(
    (['post-service', 'notification-service'] as const).map((app) =>
      startService(root, app, bundles.get(app)!, {
        ...databaseEnv.get(app),
        KAFKA_BROKERS: kafka,
        AUTH_ADDR: auth.address,
      }),
    ),
  );

  const transports = [auth, post!, notification!].map((s) =>
    createGrpcJsTransport({ address: s.address, defaultTimeoutMs: CALL_TIMEOUT_MS }),
  );
  cleanups.push(async () => transports.forEach((t) => t.close()));
  const [authT, postT, notificationT] = transports;
  const authClient = createServiceClient(AuthService, authT!);
  const posts = createServiceClient(PostService, postT!);
  const notifications = createServiceClient(NotificationService, notificationT!);

  const password = 'correct horse battery staple';
  const users: LoginResponse[] = [];
  for (const name of ['author', 'follower']) {
    const email = `bench-${name}-${randomUUID()}@example.com`;
    await authClient.register({ email, password, displayName: `Bench ${name}` });
    users.push(await authClient.login({ email, password }));
  }
  const [author, follower] = users;

  // The post service learns users from UserRegistered events: retry until it knows the author.
  const followDeadline = Date.now() + 60_000;
  for (;;) {
    try {
      await posts.followUser({ userId: author!.userId }, bearer(follower!.accessToken));
      break;
    } catch (err) {
      const notYet = errorDetailsOf(ConnectError.from(err)).reason === 'USER_NOT_FOUND';
      if (!notYet || Date.now() > followDeadline) throw err;
      await sleep(200);
    }
  }

  const arrivals = new Arrivals();
  const watchAbort = new AbortController();
  const watching = (async () => {
    const stream = notifications.watchNotifications(
      {},
      { ...bearer(follower!.accessToken), signal: watchAbort.signal, timeoutMs: 24 * 3_600_000 },
    );
    for await (const { notification: n } of stream) {
      if (n !== undefined) arrivals.record(n.postId, performance.now());
    }
  })().then(
    () => arrivals.end(new Error('the watch stream ended')),
    (err: unknown) => arrivals.end(new Error('the watch stream failed', { cause: err })),
  );
  cleanups.push(async () => {
    watchAbort.abort();
    await watching;
  });

  const createPost = async (text: string) => {
    const { post: created } = await posts.createPost({ text }, bearer(author!.accessToken));
    if (created === undefined) throw new Error('CreatePost returned no post');
    return { postId: created.postId, respondedAt: performance.now() };
  };

  // Until the first notification arrives, the watch may not be registered yet
  // and the consumer may still be joining its group: probe until one gets through.
  const firstDeadline = Date.now() + 90_000;
  const probes: string[] = [];
  while (!probes.some((id) => arrivals.has(id))) {
    if (Date.now() > firstDeadline) throw new Error('no notification reached the watch in 90 s');
    probes.push((await createPost(`probe ${probes.length}`)).postId);
    await sleep(500);
  }
  for (const id of probes) await arrivals.of(id, NOTIFICATION_TIMEOUT_MS);

  const latencies: number[] = [];
  for (let i = 0; i < options.warmup + options.posts; i++) {
    const { postId, respondedAt } = await createPost(`bench post ${i}`);
    const arrivedAt = await arrivals.of(postId, NOTIFICATION_TIMEOUT_MS);
    if (i >= options.warmup) latencies.push(arrivedAt - respondedAt);
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return (
    `CreatePost response → Watch notification, ${options.posts} posts: ` +
    `p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  ` +
    `p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1)!)}`
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    console.log(await run(options));
  } catch (err) {
    console.error(err);
    for (const service of services) {
      console.error(`--- ${service.app} output ---\n${service.output()}`);
    }
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

void main();
