// Test support for this service's specs: the real order service, started from
// its definition as main.ts starts it, over a fresh database on the real
// PostgreSQL server, with the real auth and inventory services beside it as
// processes of their own, built from their main.ts, each with its own
// database, and reached only over gRPC, as in production. The order service
// itself runs in this process so a test can reach its parts (database,
// settler, idempotency keys) and inject failures into them. Not used by main.ts.
import { fromBinary } from '@bufbuild/protobuf';
import pg from 'pg';
import {
  AuthService,
  InventoryService,
  OrderCancelledSchema,
  OrderPlacedSchema,
  OrderService,
  type OrderCancelled,
  type OrderPlaced,
} from '@switchboard/contracts';
import type { OutboxRelay } from '@switchboard/event-bus';
import {
  createGrpcJsTransport,
  createServiceClient,
  createServiceIdentity,
  type ServiceIdentity,
  type ServiceClient,
} from '@switchboard/rpc';
import { sql, type Kysely, type Storage } from '@switchboard/storage';
import {
  createTestDatabase,
  eventually as pollUntil,
  startGrpcFaultProxy,
  startServiceProcess,
  startServiceUnderTest,
  type GrpcFaultProxy,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';
import type { IdempotencyKeys } from '../create-idempotency-keys';
import type { OrderSettler } from '../create-order-settler';
import type { OrderStore } from '../create-order-store';
import { loadOrderConfig } from '../load-order-config';
import type { OrderDatabase } from '../order-schema';
import { orderServiceDefinition } from '../order-service-definition';

/** The admin the auth process seeds from ADMIN_EMAIL / ADMIN_PASSWORD. */
export const ADMIN = {
  email: 'order-spec-admin@example.com',
  password: 'order-spec-admin-password',
} as const;

/** Call options carrying a bearer token. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

export interface Customer {
  userId: string;
  token: string;
  /** Call options: the customer's token. */
  auth: { headers: Record<string, string> };
  /** Call options: the customer's token and an idempotency key. */
  withKey(key: string): { headers: Record<string, string> };
}

/** The real auth service, in a process of its own, with its database on the PostgreSQL server. */
export interface AuthNeighbour {
  address: string;
  client: ServiceClient<typeof AuthService>;
  admin: Customer;
  /**
   * The order service's own identity towards auth and inventory, with the
   * development credential both neighbours (run in development) accept.
   */
  identity: ServiceIdentity;
  /** Registers and logs in a new customer. */
  newCustomer(name: string): Promise<Customer>;
  close(): Promise<void>;
}

function customer(userId: string, token: string): Customer {
  const auth = bearer(token);
  return {
    userId,
    token,
    auth,
    withKey: (key) => ({ headers: { ...auth.headers, 'idempotency-key': key } }),
  };
}

/** Runs `cleanup` if `start` fails, so a half-started neighbour leaves nothing behind. */
async function orUndo<T>(start: () => Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

export async function startAuthNeighbour(): Promise<AuthNeighbour> {
  const database = await createTestDatabase('order_spec_auth');
  let service: ServiceProcess | undefined;
  let transport: ReturnType<typeof createGrpcJsTransport> | undefined;
  const close = async () => {
    transport?.close();
    await service?.stop();
    await database.drop();
  };
  return orUndo(async () => {
    service = await startServiceProcess({
      app: 'auth-service',
      env: {
        AUTH_DATABASE_URL: database.url,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
    transport = createGrpcJsTransport({ address: service.address, defaultTimeoutMs: 30_000 });
    const client = createServiceClient(AuthService, transport);
    const adminLogin = await client.login(ADMIN);
    let n = 0;
    const config = loadOrderConfig({ SWITCHBOARD_ENV: 'development' });
    return {
      address: service.address,
      client,
      admin: customer(adminLogin.userId, adminLogin.accessToken),
      identity: createServiceIdentity({
        authClient: client,
        clientId: config.service,
        clientSecret: config.serviceSecret!,
      }),
      async newCustomer(name) {
        const email = `${name}-${++n}-${Date.now()}@example.com`;
        const password = 'correct horse battery';
        const { userId } = await client.register({ email, password, displayName: name });
        const login = await client.login({ email, password });
        return customer(userId, login.accessToken);
      },
      close,
    };
  }, close);
}

/** The gRPC path of an InventoryService method, as the fault proxy matches it. */
export function inventoryPath(method: keyof typeof InventoryService.method): string {
  return `/${InventoryService.typeName}/${InventoryService.method[method].name}`;
}

export interface ReservationRow {
  status: string;
  owner_user_id: string;
}

export interface InventoryNeighbour {
  /** Where the order service dials inventory: the fault proxy in front of the process. */
  address: string;
  /** The inventory process itself, past the proxy. */
  processAddress: string;
  /** Makes inventory slow or failing on one method (reset after each test). */
  proxy: GrpcFaultProxy;
  /** Straight to the process, for the test's own calls (as the admin or a customer). */
  client: ServiceClient<typeof InventoryService>;
  /** A new product with this stock (and price), created by the admin; returns its sku. */
  newProduct(quantity: number, price?: { currencyCode: string; cents: number }): Promise<string>;
  /** The product's available quantity (on hand minus held), as GetProduct answers. */
  available(sku: string): Promise<number>;
  /**
   * The reservation's row in the inventory's own database: no RPC reads one,
   * and a held and a sold reservation leave the same available quantity.
   */
  reservation(id: string): Promise<ReservationRow | undefined>;
  /** Ids of the reservations that hold or held this sku, from the same database. */
  reservationsOf(sku: string): Promise<string[]>;
  /** Ids of every reservation, items or not (a voided order id has none), from the same database. */
  reservationIds(): Promise<string[]>;
  /** Stops the process (SIGTERM); the database stays, so start() brings the same inventory back. */
  stop(): Promise<void>;
  /** Starts it again on the same port and database. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface InventoryNeighbourOptions {
  /** INVENTORY_RESERVATION_TTL_MS; 15 minutes unless given. */
  ttlMs?: number;
  /** INVENTORY_RESERVATION_SWEEP_INTERVAL_MS; 5 s unless given. */
  sweepIntervalMs?: number;
}

let skuCounter = 0;

/**
 * The real inventory service, in a process of its own, checking tokens with
 * the real auth service, like in production.
 */
export async function startInventoryNeighbour(
  auth: AuthNeighbour,
  options: InventoryNeighbourOptions = {},
): Promise<InventoryNeighbour> {
  const database: TestDatabase = await createTestDatabase('order_spec_inventory');
  const env: Record<string, string> = {
    INVENTORY_DATABASE_URL: database.url,
    AUTH_ADDR: auth.address,
    INVENTORY_RESERVATION_TTL_MS: String(options.ttlMs ?? 15 * 60_000),
    INVENTORY_RESERVATION_SWEEP_INTERVAL_MS: String(options.sweepIntervalMs ?? 5_000),
  };
  // Read-only looks at what no RPC shows; a pool of two is plenty.
  const rows = new pg.Pool({ connectionString: database.url, max: 2 });
  // Idle connections die when the database is dropped; nothing is waiting on them.
  rows.on('error', () => undefined);
  let service: ServiceProcess | undefined;
  let proxy: GrpcFaultProxy | undefined;
  let transport: ReturnType<typeof createGrpcJsTransport> | undefined;
  const close = async () => {
    transport?.close();
    await proxy?.close();
    await service?.stop();
    await rows.end();
    await database.drop();
  };

  return orUndo(async () => {
    service = await startServiceProcess({ app: 'inventory-service', env });
    const { address: processAddress, port } = service;
    const faults = await startGrpcFaultProxy({ target: processAddress });
    proxy = faults;
    transport = createGrpcJsTransport({ address: processAddress, defaultTimeoutMs: 30_000 });
    const client = createServiceClient(InventoryService, transport);

    return {
      address: faults.address,
      processAddress,
      proxy: faults,
      client,
      async newProduct(quantity, price = { currencyCode: 'EUR', cents: 1_000 }) {
        const sku = `SKU-${process.pid}-${++skuCounter}`;
        await client.createProduct(
          {
            sku,
            name: `Product ${skuCounter}`,
            unitPrice: { currencyCode: price.currencyCode, amountMinor: BigInt(price.cents) },
            initialQuantity: quantity,
          },
          auth.admin.auth,
        );
        return sku;
      },
      async available(sku) {
        const { product } = await client.getProduct({ sku }, auth.admin.auth);
        if (product === undefined) throw new Error(`GetProduct answered no product for ${sku}`);
        return product.availableQuantity;
      },
      async reservation(id) {
        const result = await rows.query<ReservationRow>(
          'select status, owner_user_id from reservations where reservation_id = $1',
          [id],
        );
        return result.rows[0];
      },
      async reservationsOf(sku) {
        const result = await rows.query<{ reservation_id: string }>(
          'select reservation_id from reservation_items where sku = $1 order by reservation_id',
          [sku],
        );
        return result.rows.map((r) => r.reservation_id);
      },
      async reservationIds() {
        const result = await rows.query<{ reservation_id: string }>(
          'select reservation_id from reservations order by reservation_id',
        );
        return result.rows.map((r) => r.reservation_id);
      },
      async stop() {
        await service?.stop();
        service = undefined;
      },
      async start() {
        service ??= await startServiceProcess({
          app: 'inventory-service',
          env: { ...env, INVENTORY_PORT: String(port) },
        });
      },
      close,
    };
  }, close);
}

export interface OrderTestServerOptions {
  reserveTimeoutMs?: number;
  /** When a claimed idempotency key counts as abandoned. */
  staleAfterMs?: number;
  idempotencyKeyTtlMs?: number;
  /** Where inventory is dialled; defaults to the neighbour's (its fault proxy). */
  inventoryAddr?: string;
  /** The brokers its outbox relay publishes to; the shared test broker by default. */
  kafkaBrokers?: string;
}

export interface OrderTestServer {
  storage: Storage<OrderDatabase>;
  store: OrderStore;
  keys: IdempotencyKeys;
  settler: OrderSettler;
  /** The module's own outbox relay. */
  relay: OutboxRelay;
  client: ServiceClient<typeof OrderService>;
  address: string;
  /** Stops the service, closes the database and deletes it. */
  close(): Promise<void>;
}

/**
 * The order service as main.ts starts it (its definition, module and real
 * token checks against the auth neighbour). Its settler's timer is set so far
 * out that only a test's own settle() runs a round, and that round does not
 * wait out a grace period.
 */
export async function startOrderTestServer(
  auth: AuthNeighbour,
  inventoryNeighbour: InventoryNeighbour,
  options: OrderTestServerOptions = {},
): Promise<OrderTestServer> {
  const env: Record<string, string> = {
    AUTH_ADDR: auth.address,
    INVENTORY_ADDR: options.inventoryAddr ?? inventoryNeighbour.address,
    ORDER_RESERVE_TIMEOUT_MS: String(options.reserveTimeoutMs ?? 2_000),
    ORDER_IDEMPOTENCY_KEY_TTL_MS: String(options.idempotencyKeyTtlMs ?? 24 * 60 * 60_000),
    ORDER_SETTLE_INTERVAL_MS: '600000',
  };
  if (options.kafkaBrokers !== undefined) env.KAFKA_BROKERS = options.kafkaBrokers;
  const t = await startServiceUnderTest(orderServiceDefinition, {
    env,
    overrides: { settleGraceMs: 0, staleKeyAfterMs: options.staleAfterMs },
  });
  const { module, storage } = t.running;
  return {
    storage,
    store: module.store,
    keys: module.keys,
    settler: module.settler,
    relay: module.relay,
    client: t.client,
    address: t.address,
    close: () => t.stop(),
  };
}

/**
 * One auth and one inventory process for a spec file, started before its
 * tests and closed after them; `use` hands them to the file's variables.
 * Every test makes its own products and customers, so nothing is shared by
 * accident, and the inventory proxy's faults are reset after each test.
 */
export function shareNeighbours(
  use: (neighbours: { auth: AuthNeighbour; inventory: InventoryNeighbour }) => void,
): void {
  let auth: AuthNeighbour | undefined;
  let inventory: InventoryNeighbour | undefined;
  beforeAll(async () => {
    auth = await startAuthNeighbour();
    inventory = await startInventoryNeighbour(auth);
    use({ auth, inventory });
  });
  afterAll(async () => {
    await inventory?.close();
    await auth?.close();
  });
  afterEach(() => inventory?.proxy.reset());
}

export interface RefusedOrderLines {
  /** Lets the lines through again; the function stays until `remove`. */
  lift(): Promise<void>;
  /** Drops the trigger (if still there) and its function: for a finally block. */
  remove(): Promise<void>;
}

/**
 * A real database failure after the reservation: a trigger named `name`
 * refuses every order line of `sku`, so storing that order fails.
 */
export async function refuseOrderLines(
  db: Kysely<OrderDatabase>,
  name: string,
  sku: string,
): Promise<RefusedOrderLines> {
  const id = sql.id(name);
  await sql`create function ${id}() returns trigger language plpgsql as $$
           begin
             if new.sku = ${sql.lit(sku)} then raise exception 'injected failure for %', new.sku; end if;
             return new;
           end $$`.execute(db);
  await sql`create trigger ${id} before insert on order_lines
        for each row execute function ${id}()`.execute(db);
  return {
    lift: async () => {
      await sql`drop trigger ${id} on order_lines`.execute(db);
    },
    remove: async () => {
      await sql`drop trigger if exists ${id} on order_lines`.execute(db);
      await sql`drop function if exists ${id}()`.execute(db);
    },
  };
}

export type OutboxEvent =
  | { type: 'OrderPlaced'; key: string; message: OrderPlaced }
  | { type: 'OrderCancelled'; key: string; message: OrderCancelled };

/** The order's events in the outbox, decoded, in commit order. */
export async function outboxEventsFor(
  storage: Storage<OrderDatabase>,
  orderId: string,
): Promise<OutboxEvent[]> {
  const rows = await storage.db
    .selectFrom('outbox')
    .select(['topic', 'key', 'type', 'payload'])
    .where('key', '=', orderId)
    .orderBy('id')
    .execute();
  return rows.map((row): OutboxEvent => {
    if (row.topic !== 'sales.orders.v1') throw new Error(`unexpected topic ${row.topic}`);
    if (row.type === OrderPlacedSchema.typeName) {
      return {
        type: 'OrderPlaced',
        key: row.key,
        message: fromBinary(OrderPlacedSchema, row.payload),
      };
    }
    if (row.type === OrderCancelledSchema.typeName) {
      return {
        type: 'OrderCancelled',
        key: row.key,
        message: fromBinary(OrderCancelledSchema, row.payload),
      };
    }
    throw new Error(`unexpected event type ${row.type}`);
  });
}

/** Polls `check` until it holds or the time is up; fails the test with `what` then. */
export const eventually = (check: () => Promise<boolean>, what: string, timeoutMs = 10_000) =>
  pollUntil(check, timeoutMs, what);

// Shared with every service's tests.
export { errorInfo, failure } from '@switchboard/testing';
