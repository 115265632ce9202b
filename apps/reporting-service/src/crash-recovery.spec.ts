import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { AuthService, ReportingService, type GetSalesReportResponse } from '@switchboard/contracts';
import { createEventBus, type EventBus } from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import {
  createTestDatabase,
  startLocalBroker,
  startServiceProcess,
  publishUntilAcked,
  streamEventsInBackground,
  waitFor,
  type EventPublisher,
  type PlannedEvent,
  type ServiceProcess,
  type TestBroker,
  type TestDatabase,
} from '@switchboard/testing';
import {
  DAY_MS,
  orderCancelled,
  orderPlaced,
  productUpserted,
  userRegistered,
} from './testing/reporting-events';

// The real reporting-service process, checking tokens with the real
// auth-service process, both on a broker of this file's own: the service joins
// its production group and reads sales.orders.v1 from the beginning, so on the
// shared broker every other test's orders would land in its report too.

const ORDERS = 1_000;
const SKUS = 8;
const CUSTOMERS = 12;
const DAYS = 5;
/** Order i is cancelled when i % CANCEL_EVERY === CANCEL_PHASE: 111 of 1,000. */
const CANCEL_EVERY = 9;
const CANCEL_PHASE = 4;
/** The cancellation follows this many orders after its own, so the two streams interleave. */
const CANCEL_LAG = 3;
const EVENTS_PER_SECOND = 150;
/** The crash happens once this share of the orders is recorded. */
const CRASH_AT = 0.25;
const ADMIN = {
  email: 'reporting-crash-admin@example.com',
  password: 'reporting-crash-admin-password',
} as const;
const WINDOW_START = Date.UTC(2031, 2, 1);

interface ExpectedOrder {
  status: 'placed' | 'cancelled';
  units: bigint;
  revenueMinor: bigint;
  lines: number;
}

interface Figures {
  orderCount: bigint;
  unitsSold: bigint;
  revenueMinor: bigint;
}

/** What the report must say, summed here from the generated events alone. */
interface ExpectedReport {
  totals: Figures;
  /** By midnight UTC in ms. */
  days: Map<number, Figures>;
  products: Map<string, { name: string; unitsSold: bigint; revenueMinor: bigint }>;
  customers: Map<string, { name: string; orderCount: bigint; revenueMinor: bigint }>;
}

interface Scenario {
  /** Products and customers, published (and awaited) before the stream. */
  reference: PlannedEvent[];
  /** OrderPlaced and OrderCancelled, interleaved, in publishing order. */
  stream: PlannedEvent[];
  orders: Map<string, ExpectedOrder>;
  cancelled: number;
  report: ExpectedReport;
}

/** Small deterministic generator, so every run streams the same shapes of orders. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const zero = (): Figures => ({ orderCount: 0n, unitsSold: 0n, revenueMinor: 0n });

function planScenario(): Scenario {
  const random = prng(20_310_301);
  const run = randomUUID().slice(0, 8);
  const skus = Array.from({ length: SKUS }, (_, k) => ({
    sku: `CRASH-${run.toUpperCase()}-${k}`,
    name: `Product ${k}`,
    priceMinor: 150 + 37 * k,
  }));
  const customers = Array.from({ length: CUSTOMERS }, (_, k) => ({
    id: randomUUID(),
    name: `Customer ${k}`,
  }));
  const reference: PlannedEvent[] = [
    ...skus.map((s) => ({ id: randomUUID(), message: productUpserted(s.sku, s.name) })),
    ...customers.map((c) => ({ id: randomUUID(), message: userRegistered(c.id, c.name) })),
  ];

  const report: ExpectedReport = {
    totals: zero(),
    days: new Map(),
    products: new Map(),
    customers: new Map(),
  };
  const orders = new Map<string, ExpectedOrder>();
  const placedEvents: ReturnType<typeof orderPlaced>[] = [];
  const stream: PlannedEvent[] = [];
  const pendingCancels = new Map<number, PlannedEvent>();
  let cancelled = 0;

  for (let i = 0; i < ORDERS; i++) {
    const customer = customers[Math.floor(random() * CUSTOMERS)]!;
    // 1 to 3 distinct products: a partial Fisher-Yates shuffle.
    const candidates = [...skus];
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      const pick = k + Math.floor(random() * (candidates.length - k));
      [candidates[k], candidates[pick]] = [candidates[pick]!, candidates[k]!];
    }
    const chosen = candidates.slice(0, count);
    const lines = chosen.map((s) => ({
      sku: s.sku,
      quantity: 1 + Math.floor(random() * 5),
      priceMinor: s.priceMinor,
    }));
    const day = WINDOW_START + (i % DAYS) * DAY_MS;
    const placed = orderPlaced({
      customerId: customer.id,
      placedAt: new Date(day + i * 1_000),
      lines,
    });
    placedEvents.push(placed);
    stream.push({ id: randomUUID(), message: placed });

    const units = lines.reduce((sum, l) => sum + BigInt(l.quantity), 0n);
    const revenueMinor = lines.reduce(
      (sum, l) => sum + BigInt(l.quantity) * BigInt(l.priceMinor),
      0n,
    );
    const isCancelled = i % CANCEL_EVERY === CANCEL_PHASE;
    orders.set(placed.orderId, {
      status: isCancelled ? 'cancelled' : 'placed',
      units,
      revenueMinor,
      lines: lines.length,
    });
    if (isCancelled) {
      cancelled++;
      pendingCancels.set(i + CANCEL_LAG, {
        id: randomUUID(),
        message: orderCancelled(placed, new Date(day + i * 1_000 + 60_000)),
      });
    } else {
      const add = (f: Figures) => {
        f.orderCount += 1n;
        f.unitsSold += units;
        f.revenueMinor += revenueMinor;
      };
      add(report.totals);
      const dayFigures = report.days.get(day) ?? zero();
      add(dayFigures);
      report.days.set(day, dayFigures);
      for (const line of lines) {
        const product = report.products.get(line.sku) ?? {
          name: skus.find((s) => s.sku === line.sku)!.name,
          unitsSold: 0n,
          revenueMinor: 0n,
        };
        product.unitsSold += BigInt(line.quantity);
        product.revenueMinor += BigInt(line.quantity) * BigInt(line.priceMinor);
        report.products.set(line.sku, product);
      }
      const buyer = report.customers.get(customer.id) ?? {
        name: customer.name,
        orderCount: 0n,
        revenueMinor: 0n,
      };
      buyer.orderCount += 1n;
      buyer.revenueMinor += revenueMinor;
      report.customers.set(customer.id, buyer);
    }
    const due = pendingCancels.get(i);
    if (due !== undefined) {
      stream.push(due);
      pendingCancels.delete(i);
    }
  }
  // Cancellations of the last few orders go out after the final placement.
  for (const event of pendingCancels.values()) stream.push(event);
  return { reference, stream, orders, cancelled, report };
}

async function countOf(pool: pg.Pool, query: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(query);
  return Number(rows[0]!.n);
}

/** The report as plain comparable values: products and customers keyed by id. */
function reportFigures(report: GetSalesReportResponse) {
  return {
    totals: {
      orderCount: report.orderCount,
      unitsSold: report.unitsSold,
      revenueMinor: report.revenue?.amountMinor,
    },
    days: report.days.map((d) => ({
      day: Number(d.day?.seconds ?? -1n) * 1_000,
      orderCount: d.orderCount,
      unitsSold: d.unitsSold,
      revenueMinor: d.revenue?.amountMinor,
    })),
    products: [...report.products]
      .map((p) => ({
        sku: p.sku,
        name: p.name,
        unitsSold: p.unitsSold,
        revenueMinor: p.revenue?.amountMinor,
      }))
      .sort((a, b) => (a.sku < b.sku ? -1 : 1)),
    customers: [...report.customers]
      .map((c) => ({
        customerId: c.customerId,
        displayName: c.displayName,
        orderCount: c.orderCount,
        revenueMinor: c.revenue?.amountMinor,
      }))
      .sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
  };
}

function expectedFigures(expected: ExpectedReport): ReturnType<typeof reportFigures> {
  return {
    totals: expected.totals,
    days: [...expected.days].sort(([a], [b]) => a - b).map(([day, f]) => ({ day, ...f })),
    products: [...expected.products]
      .map(([sku, p]) => ({ sku, ...p }))
      .sort((a, b) => (a.sku < b.sku ? -1 : 1)),
    customers: [...expected.customers]
      .map(([customerId, c]) => ({
        customerId,
        displayName: c.name,
        orderCount: c.orderCount,
        revenueMinor: c.revenueMinor,
      }))
      .sort((a, b) => (a.customerId < b.customerId ? -1 : 1)),
  };
}

function isNonIncreasing(values: readonly bigint[]): boolean {
  return values.every((v, i) => i === 0 || v <= values[i - 1]!);
}

describe('reporting-service process: no order lost or counted twice', () => {
  let broker: TestBroker | undefined;
  let authDatabase: TestDatabase | undefined;
  let reportingDatabase: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let auth: ServiceProcess | undefined;
  let reporting: ServiceProcess | undefined;
  let bus: EventBus | undefined;
  const transports: { close(): void }[] = [];

  afterAll(async () => {
    for (const transport of transports) transport.close();
    await reporting?.kill();
    await auth?.stop();
    await bus?.close();
    await pool?.end();
    await reportingDatabase?.drop();
    await authDatabase?.drop();
    await broker?.stop();
  }, 60_000);

  it('SIGKILLed while 1,000 orders and their cancellations stream in and restarted, it reports exactly the events', async () => {
    broker = await startLocalBroker();
    const kafka = broker.brokers.join(',');
    authDatabase = await createTestDatabase('reporting_crash_auth');
    reportingDatabase = await createTestDatabase('reporting_crash');
    const db = new pg.Pool({ connectionString: reportingDatabase.url, max: 2 });
    // Idle connections die when the database is dropped at the end.
    db.on('error', () => undefined);
    pool = db;

    auth = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: authDatabase.url,
        KAFKA_BROKERS: kafka,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
    const startReporting = () =>
      startServiceProcess({
        app: 'reporting-service',
        env: {
          REPORTING_DATABASE_URL: reportingDatabase!.url,
          KAFKA_BROKERS: kafka,
          AUTH_ADDR: auth!.address,
        },
      });
    reporting = await startReporting();

    const scenario = planScenario();
    bus = createEventBus({
      brokers: broker.brokers,
      clientId: 'reporting-crash-recovery-publisher',
      source: '/switchboard/order-service',
      logger: createLogger({ service: 'publisher', level: 'silent' }),
      requestTimeoutMs: 5_000,
    });
    const kafkaProducer = bus.createProducer();
    const registry = bus.registry;
    // Each event from the service that really publishes it, or reporting dead-letters it.
    const producer: EventPublisher = {
      publish: (message, options) =>
        kafkaProducer.publish(message, {
          ...options,
          source: registry.byType(message.$typeName)!.event.source,
        }),
    };
    for (const event of scenario.reference)
      await publishUntilAcked(producer, event, Date.now() + 30_000);
    const stream = streamEventsInBackground(producer, scenario.stream, EVENTS_PER_SECOND, 90_000);

    const threshold = Math.ceil(ORDERS * CRASH_AT);
    await waitFor(
      async () => (await countOf(db, 'select count(*) as n from orders')) >= threshold,
      () => `${threshold} orders recorded before the crash`,
      60_000,
    );
    await reporting.kill();
    // Dead, so this count is final for the first process: the crash was mid-stream.
    const atCrash = await countOf(db, 'select count(*) as n from orders');
    expect(atCrash).toBeGreaterThanOrEqual(threshold);
    expect(atCrash).toBeLessThan(ORDERS);
    const publishedAtCrash = stream.published();

    // Same database, same consumer group: it resumes from the last committed offsets.
    reporting = await startReporting();
    await stream.done;
    const orderEvents = ORDERS + scenario.cancelled;
    await waitFor(
      async () =>
        (await countOf(db, `select count(*) as n from inbox where topic = 'sales.orders.v1'`)) >=
        orderEvents,
      () => `${orderEvents} order events applied`,
      90_000,
    );
    // Room for a stray redelivery to (wrongly) add anything.
    await sleep(1_500);

    // The store: every order once, with its own figures and final status.
    const rows = await db.query<{
      order_id: string;
      status: string;
      units: string;
      revenue_minor: string;
      lines: string;
    }>(
      `select o.order_id, o.status, o.units, o.revenue_minor,
              cardinality(o.line_skus) as lines
         from orders o`,
    );
    expect(rows.rows).toHaveLength(ORDERS);
    const stored = new Map(
      rows.rows.map((r) => [
        r.order_id,
        {
          status: r.status,
          units: BigInt(r.units),
          revenueMinor: BigInt(r.revenue_minor),
          lines: Number(r.lines),
        },
      ]),
    );
    expect(stored).toEqual(scenario.orders);
    const inbox = await db.query<{ event_id: string }>(
      `select event_id from inbox where topic = 'sales.orders.v1'`,
    );
    expect(inbox.rows.map((r) => r.event_id).sort()).toEqual(
      scenario.stream.map((e) => e.id).sort(),
    );

    // The report, over gRPC as an admin, against the sums of the generated events.
    const authTransport = createGrpcJsTransport({
      address: auth.address,
      defaultTimeoutMs: 30_000,
    });
    transports.push(authTransport);
    const { accessToken } = await createServiceClient(AuthService, authTransport).login(ADMIN);
    const reportingTransport = createGrpcJsTransport({
      address: reporting.address,
      defaultTimeoutMs: 30_000,
    });
    transports.push(reportingTransport);
    const report = await createServiceClient(ReportingService, reportingTransport).getSalesReport(
      {},
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    expect(reportFigures(report)).toEqual(expectedFigures(scenario.report));
    // Each list is ranked by revenue (ties are ordered by the server's collation).
    expect(isNonIncreasing(report.products.map((p) => p.revenue?.amountMinor ?? -1n))).toBe(true);
    expect(isNonIncreasing(report.customers.map((c) => c.revenue?.amountMinor ?? -1n))).toBe(true);

    console.info(
      `crash after ${atCrash}/${ORDERS} orders recorded, ` +
        `${publishedAtCrash}/${scenario.stream.length} events published; ` +
        `${scenario.cancelled} cancelled, report: ${report.orderCount} orders, ` +
        `${report.revenue?.amountMinor} minor units`,
    );
  }, 170_000);
});
