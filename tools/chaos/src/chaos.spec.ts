// The chaos suite (issue #13): two replicas of order, inventory, reporting
// and notification on a three-node Kafka cluster, under a steady load of
// PlaceOrder and CreatePost, while one fault at a time strikes. After each,
// with the load stopped, every invariant must hold once the system settles.
// The figures of every fault are printed as a table and written to
// dist/chaos/reliability.md (docs/reliability.md quotes a run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuthService,
  InventoryService,
  OrderService,
  PostService,
  ReportingService,
} from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type GrpcJsTransport } from '@switchboard/rpc';
import { findWorkspaceRoot } from '@switchboard/testing';
import pg from 'pg';
import { checkInvariants } from './check-invariants';
import { describeSystemState } from './describe-system-state';
import {
  startChaosLoad,
  type ChaosUser,
  type CreatedPost,
  type PlacedOrder,
} from './create-chaos-load';
import {
  countProducedRecords,
  formatReliabilityTable,
  readInboxOutcomes,
  recoveryOf,
  type FaultFigures,
  type SystemCounters,
} from './reliability-figures';
import { ADMIN, startSystemUnderChaos, type SystemUnderChaos } from './system-under-chaos';

/** Load before the fault strikes and after it ends, so both edges happen under load. */
const STEADY_MS = 5_000;
/** Longer than the consumers' session timeout (10 s) and the brokers' (9 s). */
const PAUSE_MS = 15_000;
const SETTLE_TIMEOUT_MS = 180_000;
const STOCK = 1_000_000;
const SKUS = new Map<string, bigint>([
  ['CHAOS-BEANS', 1_250n],
  ['CHAOS-FILTER', 400n],
  ['CHAOS-KETTLE', 4_990n],
  ['CHAOS-MUG', 900n],
]);

describe('chaos: faults under load', () => {
  let system: SystemUnderChaos;
  const transports: GrpcJsTransport[] = [];
  const client = <S extends Parameters<typeof createServiceClient>[0]>(
    service: S,
    address: string,
  ) => {
    const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 10_000 });
    transports.push(transport);
    return createServiceClient(service, transport);
  };
  let clients: {
    auth: ReturnType<typeof createServiceClient<typeof AuthService>>;
    inventory: ReturnType<typeof createServiceClient<typeof InventoryService>>;
    orders: ReturnType<typeof createServiceClient<typeof OrderService>>;
    posts: ReturnType<typeof createServiceClient<typeof PostService>>;
    reporting: ReturnType<typeof createServiceClient<typeof ReportingService>>;
  };
  let adminToken: string;
  const customers: ChaosUser[] = [];
  const authors: ChaosUser[] = [];
  const followers = new Map<string, string[]>();
  const placed: PlacedOrder[] = [];
  const posts: CreatedPost[] = [];
  const rows: FaultFigures[] = [];

  async function signUp(name: string): Promise<ChaosUser> {
    const email = `${name}-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await clients.auth.register({ email, password, displayName: name });
    const { accessToken, userId } = await clients.auth.login({ email, password });
    return { userId, token: accessToken };
  }

  /** Retries while the post service has not yet heard of the user (UserRegistered is on its way). */
  async function follow(follower: ChaosUser, author: ChaosUser): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await clients.posts.followUser(
          { userId: author.userId },
          { headers: { authorization: `Bearer ${follower.token}` } },
        );
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(250);
      }
    }
  }

  async function counters(): Promise<SystemCounters> {
    const consumers = [
      ...system.replicas['reporting-service'],
      ...system.replicas['notification-service'],
    ];
    return {
      produced: await countProducedRecords(system.kafka.brokers),
      consumed: await readInboxOutcomes(consumers.map((r) => r.metricsUrl)),
    };
  }

  /** The invariants, polled until they hold or SETTLE_TIMEOUT_MS passes; the last violations. */
  async function settle(): Promise<string[]> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      let problems: string[];
      try {
        problems = await checkInvariants({
          load: { orders: placed, posts },
          initialStock: new Map([...SKUS.keys()].map((sku) => [sku, STOCK])),
          followers,
          inventory: clients.inventory,
          reporting: clients.reporting,
          adminToken,
          orderDatabaseUrl: system.databaseUrlOf('order-service'),
          reportingDatabaseUrl: system.databaseUrlOf('reporting-service'),
          postDatabaseUrl: system.databaseUrlOf('post-service'),
          notificationDatabaseUrl: system.databaseUrlOf('notification-service'),
        });
      } catch (err) {
        problems = [`checking failed: ${(err as Error).message}`];
      }
      if (problems.length === 0 || Date.now() > deadline) return problems;
      await sleep(1_000);
    }
  }

  /** Runs the load, strikes with `inject` (which also ends the fault), then checks and measures. */
  async function underLoad(fault: string, inject: () => Promise<void>): Promise<void> {
    const before = await counters();
    const load = startChaosLoad({
      orders: clients.orders,
      posts: clients.posts,
      customers,
      authors,
      skus: SKUS,
      orderWorkers: 3,
      pauseMs: 50,
      attemptTimeoutMs: 5_000,
      // A request cut off with its replica holds its idempotency key until
      // the claim goes stale (60 s); its retries wait that long.
      giveUpAfterMs: 120_000,
    });
    await sleep(STEADY_MS);
    const faultAt = Date.now();
    try {
      await inject();
      await sleep(STEADY_MS);
    } finally {
      await load.stop();
    }
    const stoppedAt = Date.now();
    placed.push(...load.record.orders);
    posts.push(...load.record.posts);
    const problems = await settle();
    const catchUpMs = Date.now() - stoppedAt;
    const after = await counters();
    const consumed = (c: SystemCounters) => Object.values(c.consumed).reduce((a, b) => a + b, 0);
    rows.push({
      fault,
      ordersPlaced: load.record.orders.length,
      postsCreated: load.record.posts.length,
      produced: after.produced - before.produced,
      consumed: consumed(after) - consumed(before),
      duplicates: (after.consumed['duplicate'] ?? 0) - (before.consumed['duplicate'] ?? 0),
      errors: load.record.errors,
      ...recoveryOf(load.record.outages, faultAt),
      catchUpMs,
    });
    if (problems.length > 0 || load.record.unexpected.length > 0) {
      console.log(
        `after "${fault}":\n${await describeSystemState(
          system,
          placed.map((o) => o.orderId),
        )}`,
      );
    }
    expect(load.record.unexpected).toEqual([]);
    expect(problems).toEqual([]);
    // The load really ran through the fault: both kinds of request succeeded.
    expect(load.record.orders.length).toBeGreaterThan(0);
    expect(load.record.posts.length).toBeGreaterThan(0);
  }

  beforeAll(async () => {
    system = await startSystemUnderChaos();
    clients = {
      auth: client(AuthService, system.addressOf('auth-service')),
      inventory: client(InventoryService, system.addressOf('inventory-service')),
      orders: client(OrderService, system.addressOf('order-service')),
      posts: client(PostService, system.addressOf('post-service')),
      reporting: client(ReportingService, system.addressOf('reporting-service')),
    };
    adminToken = (await clients.auth.login(ADMIN)).accessToken;
    for (const [sku, amountMinor] of SKUS) {
      await clients.inventory.createProduct(
        { sku, name: sku, unitPrice: { currencyCode: 'EUR', amountMinor }, initialQuantity: STOCK },
        { headers: { authorization: `Bearer ${adminToken}` } },
      );
    }
    for (let i = 0; i < 4; i++) customers.push(await signUp(`customer${i}`));
    for (let i = 0; i < 2; i++) authors.push(await signUp(`author${i}`));
    const readers: ChaosUser[] = [];
    for (let i = 0; i < 3; i++) readers.push(await signUp(`reader${i}`));
    for (const author of authors) {
      for (const reader of readers) await follow(reader, author);
      followers.set(
        author.userId,
        readers.map((r) => r.userId),
      );
    }
    // The follows reach notification-service through Kafka; posts before that would notify nobody.
    const db = new pg.Client({ connectionString: system.databaseUrlOf('notification-service') });
    await db.connect();
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const {
          rows: [row],
        } = await db.query<{ n: string }>('select count(*) as n from followers');
        if (Number(row?.n) === authors.length * readers.length) break;
        if (Date.now() > deadline)
          throw new Error(`follows not in notification-service: ${row?.n}`);
        await sleep(250);
      }
    } finally {
      await db.end();
    }
  }, 600_000);

  afterAll(async () => {
    const table = formatReliabilityTable(rows);
    const dir = join(findWorkspaceRoot(__dirname), 'dist', 'chaos');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'reliability.md'), `${table}\n`);
    console.log(`chaos figures (dist/chaos/reliability.md):\n${table}`);
    for (const transport of transports) transport.close();
    await system?.stop();
  }, 120_000);

  it('SIGKILL the broker that leads most partitions; it is back 20 s later', async () => {
    await underLoad('broker leader SIGKILLed for 20 s', async () => {
      const leader = await system.kafka.leaderOfMostPartitions();
      await system.kafka.kill(leader);
      await sleep(20_000);
      await system.kafka.restart(leader);
    });
  });

  it('SIGKILL one order-service replica mid-load', async () => {
    const [victim] = system.replicas['order-service'];
    await underLoad('order-service replica SIGKILLed', async () => {
      await victim!.kill();
      await sleep(STEADY_MS);
      await victim!.restart();
    });
  });

  it('SIGKILL one inventory-service replica', async () => {
    const [victim] = system.replicas['inventory-service'];
    await underLoad('inventory-service replica SIGKILLed', async () => {
      await victim!.kill();
      await sleep(STEADY_MS);
      await victim!.restart();
    });
  });

  it('stops PostgreSQL for 10 s and starts it again', async () => {
    await underLoad('PostgreSQL stopped for 10 s', async () => {
      await system.postgres.stop();
      await sleep(10_000);
      await system.postgres.start();
    });
  });

  it('pauses a broker (SIGSTOP) past the session timeouts, then resumes it (SIGCONT)', async () => {
    await underLoad(`broker leader SIGSTOPped for ${PAUSE_MS / 1000} s`, async () => {
      const leader = await system.kafka.leaderOfMostPartitions();
      system.kafka.pause(leader);
      try {
        await sleep(PAUSE_MS);
      } finally {
        system.kafka.resume(leader);
      }
    });
  });
});
