// Measurement 7: `npm start` as a user runs it, from an empty data folder
// (cold) and again on the same folder (warm): the time to "all seven services
// are SERVING", the memory of every process it runs (six services, the
// broker, PostgreSQL and the launcher: node, nx and its shells), the CPU each
// spends doing nothing, the memory peak under a short mixed load, and what
// Ctrl-C leaves behind.
//
// It runs the real command on the default ports (50051–50056, 9092, 5432,
// 9461–9466), so it refuses to start while anything answers on them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DescService } from '@bufbuild/protobuf';
import { InventoryService, OrderService, PostService } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type ServiceClient } from '@switchboard/rpc';
import type { ServiceApp } from '@switchboard/testing';
import { retryUntilResolved, runTool, sleep, type BenchContext } from './bench-context';
import type { ResultRow, SectionResult } from './bench-result';
import { runGhz } from './ghz';
import { descendantsOf, readProcess, roleOf, type ProcessInfo } from './process-cpu';
import { pssMiB, rssMiB, sampleRss } from './process-rss';
import { ALL_APPS, loginAdmin, newCustomer, type BenchUser } from './service-stack';
import { alternate, summarize, type Summary } from './stats';

const TITLE = 'npm start: start-up, footprint and idle cost';
const SERVICE_PORTS: Record<ServiceApp, number> = {
  'auth-service': 50051,
  'inventory-service': 50052,
  'order-service': 50053,
  'post-service': 50054,
  'notification-service': 50055,
  'reporting-service': 50056,
  'subscription-service': 50057,
};
const DEFAULT_PORTS = [
  ...Object.values(SERVICE_PORTS),
  9092,
  5432,
  9461,
  9462,
  9463,
  9464,
  9465,
  9466,
  9469,
];
const READY = /all seven services are SERVING/;
const START_TIMEOUT_MS = 240_000;
/** After SERVING and the load's set-up: consumers join their groups, seeding ends. */
const IDLE_SETTLE_MS = 10_000;
/** The 120 MB and 1.5 GB goals, in MiB. */
const SERVICE_GOAL_MIB = 120 / 1.048576;
const STACK_GOAL_MIB = 1500 / 1.048576;
/** What the launcher is made of: everything that is neither a service, the broker nor PostgreSQL. */
const GROUPS = ['kafka', 'postgres', 'launcher'] as const;
type Group = ServiceApp | (typeof GROUPS)[number];

/** What the load helpers need of a running stack. */
interface StackView {
  address(app: ServiceApp): string;
  client<S extends DescService>(service: S, app: ServiceApp): ServiceClient<S>;
}

interface LoadPlan {
  readonly customer: BenchUser;
  readonly author: BenchUser;
  readonly sku: string;
}

/** What the mixed load needs: a product, a customer, and an author with 10 followers. */
async function prepareLoad(stack: StackView): Promise<LoadPlan> {
  const admin = await loginAdmin(stack);
  const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  await stack.client(InventoryService, 'inventory-service').createProduct(
    {
      sku,
      name: 'Bench product',
      unitPrice: { currencyCode: 'EUR', amountMinor: 100n },
      initialQuantity: 1_000_000,
    },
    admin.auth,
  );
  const customer = await newCustomer(stack, 'bench-footprint');
  const author = await newCustomer(stack, 'bench-author');
  const posts = stack.client(PostService, 'post-service');
  for (let i = 0; i < 10; i++) {
    const follower = await newCustomer(stack, `bench-follower-${i}`);
    // The post service learns users from UserRegistered events: retry until it has both.
    await retryUntilResolved(
      () => posts.followUser({ userId: author.userId }, follower.auth),
      60_000,
    );
  }
  return { customer, author, sku };
}

async function mixedLoad(ctx: BenchContext, stack: StackView, plan: LoadPlan, ms: number) {
  const ghz = await ctx.ghz();
  const protoset = await ctx.protoset();
  await Promise.all([
    runGhz({
      ghz,
      protoset,
      call: `${OrderService.typeName}.${OrderService.method.placeOrder.name}`,
      address: stack.address('order-service'),
      data: { items: [{ sku: plan.sku, quantity: 1 }] },
      metadata: {
        authorization: `Bearer ${plan.customer.token}`,
        'idempotency-key': 'bench-{{newUUID}}',
      },
      concurrency: 8,
      maxCalls: 100_000,
      maxDurationMs: ms,
    }),
    runGhz({
      ghz,
      protoset,
      call: `${PostService.typeName}.${PostService.method.createPost.name}`,
      address: stack.address('post-service'),
      data: { text: 'Benchmark post: pulled a V60.' },
      metadata: { authorization: `Bearer ${plan.author.token}` },
      concurrency: 4,
      rps: 50,
      maxCalls: 50 * Math.ceil(ms / 1000),
      maxDurationMs: ms,
    }),
  ]);
}

function groupOf(process: ProcessInfo): Group {
  const role = roleOf(process.cmdline);
  if ((ALL_APPS as readonly string[]).includes(role)) return role as ServiceApp;
  if (role === 'kafka' || role === 'postgres') return role;
  return 'launcher';
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
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

interface Launch {
  readonly pid: number;
  /** Resolves with the milliseconds from the spawn to the SERVING line. */
  readonly ready: Promise<number>;
  /** Ctrl-C: resolves with the milliseconds until the command exited, and the processes still alive then. */
  stop(watched: readonly number[]): Promise<{ stopMs: number; leftBehind: ProcessInfo[] }>;
}

/** `npm start` (its script, without npm's own process) on a data folder. */
function launchNpmStart(ctx: BenchContext, dataDir: string): Launch {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    SWITCHBOARD_ENV: 'development',
  };
  // A user's own settings would point the stack elsewhere: measure the defaults.
  for (const key of Object.keys(env)) {
    if (/^(KAFKA_|OTEL_|DATABASE_URL$|TEST_DATABASE_URL$)|_(PORT|ADDR|DATABASE_URL)$/.test(key))
      delete env[key];
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, ['tools/scripts/start.mjs'], {
    cwd: ctx.workspaceRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail: string[] = [];
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start: not SERVING within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 60) tail.shift();
        if (READY.test(line)) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      });
    }
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before SERVING:\n${tail.join('\n')}`));
    });
  });
  ready.catch(() => undefined);
  let stopping: Promise<{ stopMs: number; leftBehind: ProcessInfo[] }> | undefined;
  const stop = (watched: readonly number[]) =>
    (stopping ??= (async () => {
      const t1 = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      const stopMs = performance.now() - t1;
      // A zombie has exited and waits to be reaped; anything else outlived Ctrl-C.
      const leftBehind = watched
        .map((pid) => readProcess(pid))
        .filter((p): p is ProcessInfo => p !== undefined && p.state !== 'Z');
      return { stopMs, leftBehind };
    })());
  ctx.onCleanup(async () => {
    await stop([]);
  });
  return { pid: child.pid ?? -1, ready, stop };
}

function openView(): StackView & { close(): void } {
  const transports: { close(): void }[] = [];
  return {
    address: (app) => `127.0.0.1:${SERVICE_PORTS[app]}`,
    client(service, app) {
      const transport = createGrpcJsTransport({
        address: `127.0.0.1:${SERVICE_PORTS[app]}`,
        defaultTimeoutMs: 30_000,
      });
      transports.push(transport);
      return createServiceClient(service, transport);
    },
    close: () => transports.forEach((t) => t.close()),
  };
}

interface RoundResult {
  readonly coldMs: number;
  readonly warmMs: number;
  readonly stopMs: number;
  readonly leftBehind: number;
  readonly idleRss: Map<Group, number>;
  readonly idlePss: Map<Group, number>;
  /** Share of one core, in percent, over the idle window. */
  readonly idleCpu: Map<Group, number>;
  readonly loadRss: Map<ServiceApp, number>;
}

/** The launched command and everything it started. */
function processesOf(root: number): ProcessInfo[] {
  return [readProcess(root), ...descendantsOf(root)].filter(
    (p): p is ProcessInfo => p !== undefined,
  );
}

function sumBy(processes: readonly ProcessInfo[], value: (p: ProcessInfo) => number) {
  const sums = new Map<Group, number>();
  for (const p of processes) {
    const v = value(p);
    if (Number.isFinite(v)) sums.set(groupOf(p), (sums.get(groupOf(p)) ?? 0) + v);
  }
  return sums;
}

export async function measureStartupFootprint(ctx: BenchContext): Promise<SectionResult> {
  const busy: number[] = [];
  for (const port of DEFAULT_PORTS) if (await portAnswers(port)) busy.push(port);
  if (busy.length > 0) {
    throw new Error(
      `ports ${busy.join(', ')} answer on 127.0.0.1 (is \`npm start\` running?): this measurement runs npm start itself`,
    );
  }
  const idleMs = ctx.quick ? 15_000 : 60_000;
  const loadMs = ctx.quick ? 4_000 : 10_000;
  ctx.log('  building the service bundles (not timed)');
  await runTool(ctx, 'npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], {
    timeoutMs: 600_000,
  });

  const results = await alternate(ctx.rounds, ['npm start'] as const, async (_, round) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-start-'));
    try {
      const cold = launchNpmStart(ctx, dataDir);
      const coldMs = await cold.ready;
      await cold.stop([]);
      const warm = launchNpmStart(ctx, dataDir);
      const warmMs = await warm.ready;
      const view = openView();
      try {
        const plan = await prepareLoad(view);
        await sleep(IDLE_SETTLE_MS);
        const before = processesOf(warm.pid);
        await sleep(idleMs);
        const after = processesOf(warm.pid);
        const cpuBefore = new Map(before.map((p) => [p.pid, p.cpuMs]));
        const lived = after.filter((p) => cpuBefore.has(p.pid));
        const idleCpu = sumBy(lived, (p) => ((p.cpuMs - cpuBefore.get(p.pid)!) / idleMs) * 100);
        const idleRss = sumBy(after, (p) => rssMiB(p.pid));
        const idlePss = sumBy(after, (p) => pssMiB(p.pid));
        const servicePids = new Map<ServiceApp, number>();
        for (const p of after) {
          const group = groupOf(p);
          if ((ALL_APPS as readonly string[]).includes(group))
            servicePids.set(group as ServiceApp, p.pid);
        }
        const sampler = sampleRss([...servicePids.values()]);
        await mixedLoad(ctx, view, plan, loadMs);
        const peaks = sampler.stop();
        const loadRss = new Map(
          [...servicePids].map(([app, pid]) => [app, peaks.get(pid) ?? Number.NaN]),
        );
        const stopped = await warm.stop(after.map((p) => p.pid));
        ctx.log(
          `  round ${round + 1}: cold ${(coldMs / 1000).toFixed(1)} s, warm ` +
            `${(warmMs / 1000).toFixed(1)} s, stack RSS ${[...idleRss.values()].reduce((a, b) => a + b, 0).toFixed(0)} MiB, ` +
            `stop ${(stopped.stopMs / 1000).toFixed(1)} s, ${stopped.leftBehind.length} left behind`,
        );
        return {
          coldMs,
          warmMs,
          stopMs: stopped.stopMs,
          leftBehind: stopped.leftBehind.length,
          idleRss,
          idlePss,
          idleCpu,
          loadRss,
        } satisfies RoundResult;
      } finally {
        view.close();
        await warm.stop([]);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const list = results['npm start'];
  const of = (f: (r: RoundResult) => number): Summary => summarize(list.map(f));
  const rows: ResultRow[] = [];
  const cold = of((r) => r.coldMs / 1000);
  const warm = of((r) => r.warmMs / 1000);
  rows.push(
    {
      subject: 'npm start, cold (empty DATA_DIR)',
      metric: 'to all SERVING',
      unit: 's',
      value: cold,
    },
    {
      subject: 'npm start, warm (same DATA_DIR)',
      metric: 'to all SERVING',
      unit: 's',
      value: warm,
      goal: { text: '< 15 s', met: warm.median < 15 },
    },
    {
      subject: 'Ctrl-C',
      metric: 'to last process gone',
      unit: 's',
      value: of((r) => r.stopMs / 1000),
    },
  );
  for (const app of ALL_APPS) {
    const rss = of((r) => r.idleRss.get(app) ?? Number.NaN);
    const cpu = of((r) => r.idleCpu.get(app) ?? Number.NaN);
    rows.push(
      {
        subject: app,
        metric: 'RSS idle',
        unit: 'MiB',
        value: rss,
        goal: { text: '< 120 MB', met: rss.median < SERVICE_GOAL_MIB },
      },
      {
        subject: app,
        metric: 'RSS peak under load',
        unit: 'MiB',
        value: of((r) => r.loadRss.get(app) ?? Number.NaN),
      },
      {
        subject: app,
        metric: 'CPU idle, share of one core',
        unit: '%',
        value: cpu,
        goal: { text: '< 0.5 %', met: cpu.median < 0.5 },
      },
    );
  }
  for (const group of GROUPS) {
    rows.push(
      {
        subject: group,
        metric: 'RSS idle (sum)',
        unit: 'MiB',
        value: of((r) => r.idleRss.get(group) ?? Number.NaN),
      },
      {
        subject: group,
        metric: 'PSS idle (sum)',
        unit: 'MiB',
        value: of((r) => r.idlePss.get(group) ?? Number.NaN),
      },
      {
        subject: group,
        metric: 'CPU idle, share of one core',
        unit: '%',
        value: of((r) => r.idleCpu.get(group) ?? Number.NaN),
      },
    );
  }
  const total = (m: Map<Group, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const stackRss = of((r) => total(r.idleRss));
  rows.push(
    {
      subject: 'whole stack',
      metric: 'RSS idle (sum)',
      unit: 'MiB',
      value: stackRss,
      goal: { text: '< 1.5 GB', met: stackRss.median < STACK_GOAL_MIB },
    },
    {
      subject: 'whole stack',
      metric: 'PSS idle (sum)',
      unit: 'MiB',
      value: of((r) => total(r.idlePss)),
    },
    {
      subject: 'whole stack',
      metric: 'CPU idle, share of one core',
      unit: '%',
      value: of((r) => total(r.idleCpu)),
    },
  );
  const left = list.reduce((sum, r) => sum + r.leftBehind, 0);
  return {
    title: TITLE,
    method:
      '`node tools/scripts/start.mjs` (what `npm start` runs) with a new empty DATA_DIR and ' +
      'the default ports, after the bundles were built (not timed): cold is the first start ' +
      '(broker storage formatted, PostgreSQL initialised, migrations, topics, demo data), warm ' +
      'a second start on the same folder after Ctrl-C; both timed from the spawn to its ' +
      '"all seven services are SERVING" line, nx included. On the warm stack, after a customer, ' +
      `an author and 10 followers are set up and ${IDLE_SETTLE_MS / 1000} s of rest: CPU ` +
      `(user + system from /proc) of every process over ${idleMs / 1000} s of no traffic, as ` +
      'a share of one core, and RSS and PSS (smaps_rollup) at the end of it; a sum of RSS ' +
      "counts PostgreSQL's shared memory once per backend, PSS does not. Then the RSS peak " +
      `of each service (sampled every 200 ms) during ${loadMs / 1000} s of ghz PlaceOrder at ` +
      'concurrency 8 plus ghz CreatePost at 50/s by the author. launcher: the start script, ' +
      'npx, nx and its shells. 120 MB = 114.4 MiB, 1.5 GB = 1,430.5 MiB. ' +
      `${ctx.rounds} rounds, each on a new folder.`,
    rows,
    notes: left > 0 ? [`Ctrl-C left ${left} process(es) running across the rounds`] : [],
  };
}
