// Test support for this service's specs: the real OrderService on a real
// socket over PGlite or a fresh database on the real PostgreSQL server, with
// the real auth and inventory services beside it (in this process, each on its
// own socket and its own database). Not used by main.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectError } from '@connectrpc/connect';
import { fromBinary } from '@bufbuild/protobuf';
import {
  AuthService,
  InventoryService,
  OrderCancelledSchema,
  OrderPlacedSchema,
  OrderService,
  type OrderCancelled,
  type OrderPlaced,
} from '@switchboard/contracts';
import { DomainError } from '@switchboard/errors';
import { createLogger, type Logger } from '@switchboard/logger';
import {
  createGrpcJsTransport,
  createRpcServer,
  createServiceClient,
  createTokenAuthenticator,
  type ServiceClient,
} from '@switchboard/rpc';
import { createStorage, type Storage } from '@switchboard/storage';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';
/* eslint-disable @nx/enforce-module-boundaries -- tests only: the order
   service is tested against the real auth and inventory services, started in
   this process from their own code; nothing here is bundled into main.ts. */
import {
  createTestTarget,
  startAuthTestServer,
  testSettings,
  type AuthTestServer,
  type TestDatabaseTarget,
} from '../../../auth-service/src/testing/auth-test-harness';
import {
  createInventoryService,
  inventoryAccessPolicy,
} from '../../../inventory-service/src/create-inventory-service';
import { createProductCatalog } from '../../../inventory-service/src/create-product-catalog';
import {
  createReservationLedger,
  type ReservationLedger,
} from '../../../inventory-service/src/create-reservation-ledger';
import type { InventoryDatabase } from '../../../inventory-service/src/inventory-schema';
import { migrations as inventoryMigrations } from '../../../inventory-service/src/migrations';
/* eslint-enable @nx/enforce-module-boundaries */
import { createIdempotencyKeys, type IdempotencyKeys } from '../create-idempotency-keys';
import { createInventoryGateway } from '../create-inventory-gateway';
import { createOrderPlacement } from '../create-order-placement';
import { createOrderService, orderAccessPolicy } from '../create-order-service';
import { createOrderSettler, type OrderSettler } from '../create-order-settler';
import { createOrderStore, type OrderStore } from '../create-order-store';
import { createServiceToken } from '../create-service-token';
import { createStockSettlement } from '../create-stock-settlement';
import { migrations } from '../migrations';
import type { OrderDatabase } from '../order-schema';

export type Backend = 'pglite' | 'postgres';

/** For `describe.each`: every storage behaviour is tested on both. */
export const backends: [Backend][] = [['pglite'], ['postgres']];

export const ORDER_SOURCE = '/switchboard/order-service';

export function silentLogger(): Logger {
  if (process.env.TEST_LOGS) return createLogger({ service: 'order-test', level: 'debug' });
  return createLogger({
    service: 'order-test',
    level: 'silent',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}

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

/** The real auth service, seeded, with its database on the PostgreSQL server. */
export interface AuthNeighbour {
  server: AuthTestServer;
  client: ServiceClient<typeof AuthService>;
  admin: Customer;
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

export async function startAuthNeighbour(): Promise<AuthNeighbour> {
  const target: TestDatabaseTarget = await createTestTarget('postgres');
  const storage = await target.open();
  const server = await startAuthTestServer(storage);
  const client = server.client;
  const adminLogin = await client.login({
    email: testSettings.adminEmail,
    password: testSettings.adminPassword,
  });
  let n = 0;
  return {
    server,
    client,
    admin: customer(adminLogin.userId, adminLogin.accessToken),
    async newCustomer(name) {
      const email = `${name}-${++n}-${Date.now()}@example.com`;
      const password = 'correct horse battery';
      const { userId } = await client.register({ email, password, displayName: name });
      const login = await client.login({ email, password });
      return customer(userId, login.accessToken);
    },
    async close() {
      await server.stop();
      await storage.close();
      await target.dispose();
    },
  };
}

/** Switches that make the real inventory misbehave on purpose. */
export interface InventoryFaults {
  /** ReserveStock waits this long before it starts (and does not stop when the caller gives up). */
  reserveDelayMs: number;
  /** CommitReservation answers UNAVAILABLE, as if inventory were down for it. */
  commitUnavailable: boolean;
}

export interface InventoryNeighbour {
  storage: Storage<InventoryDatabase>;
  ledger: ReservationLedger;
  client: ServiceClient<typeof InventoryService>;
  address: string;
  port: number;
  faults: InventoryFaults;
  /** A new product with this stock (and price), created by the admin; returns its sku. */
  newProduct(quantity: number, price?: { currencyCode: string; cents: number }): Promise<string>;
  /** on_hand and reserved, as stored. */
  stock(sku: string): Promise<{ on_hand: number; reserved: number }>;
  reservation(id: string): Promise<{ status: string; owner_user_id: string } | undefined>;
  /** Stops serving; the database stays, so start() brings the same inventory back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

let skuCounter = 0;

/**
 * The real inventory service (its handlers, ledger and catalog over its own
 * database) checking tokens with the real auth service, like in production.
 */
export async function startInventoryNeighbour(
  auth: AuthNeighbour,
  options: { ttlMs?: number } = {},
): Promise<InventoryNeighbour> {
  const logger = silentLogger();
  const database: TestDatabase = await createTestDatabase('order_spec_inventory');
  const storage = await createStorage<InventoryDatabase>({
    service: 'inventory',
    serviceDatabaseUrl: database.url,
    dataDir: '/nonexistent',
    migrations: inventoryMigrations,
    logger,
  });
  const catalog = createProductCatalog({
    db: storage.db,
    source: '/switchboard/inventory-service',
  });
  const ledger = createReservationLedger({ db: storage.db, ttlMs: options.ttlMs ?? 15 * 60_000 });
  const impl = createInventoryService({ catalog, ledger });
  const faults: InventoryFaults = { reserveDelayMs: 0, commitUnavailable: false };
  const service: typeof impl = {
    ...impl,
    async reserveStock(request, ctx) {
      if (faults.reserveDelayMs > 0) await sleep(faults.reserveDelayMs);
      return impl.reserveStock(request, ctx);
    },
    async commitReservation(request, ctx) {
      if (faults.commitUnavailable) {
        throw new DomainError('DEPENDENCY_UNAVAILABLE', 'inventory is down (injected by the test)');
      }
      return impl.commitReservation(request, ctx);
    },
  };
  const authenticate = createTokenAuthenticator(auth.client);

  let port = 0;
  let server: ReturnType<typeof createRpcServer> | undefined;
  async function start() {
    server = createRpcServer({
      logger,
      host: '127.0.0.1',
      port,
      maxReceiveBytes: 1024 * 1024,
      shutdownGraceMs: 500,
      authenticate,
    });
    server.addService(InventoryService, service, { access: inventoryAccessPolicy });
    port = await server.start();
  }
  await start();
  const address = `127.0.0.1:${port}`;
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 30_000 });
  const client = createServiceClient(InventoryService, transport);

  return {
    storage,
    ledger,
    client,
    address,
    port,
    faults,
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
    stock: (sku) =>
      storage.db
        .selectFrom('products')
        .select(['on_hand', 'reserved'])
        .where('sku', '=', sku)
        .executeTakeFirstOrThrow(),
    reservation: (id) =>
      storage.db
        .selectFrom('reservations')
        .select(['status', 'owner_user_id'])
        .where('reservation_id', '=', id)
        .executeTakeFirst(),
    async stop() {
      await server?.shutdown();
      server = undefined;
    },
    start,
    async close() {
      transport.close();
      await server?.shutdown();
      await storage.close();
      await database.drop();
    },
  };
}

export interface OrderTestServerOptions {
  reserveTimeoutMs?: number;
  lateReleaseDelayMs?: number;
  staleAfterMs?: number;
  idempotencyKeyTtlMs?: number;
  /** Where inventory is dialled; defaults to the neighbour's address. */
  inventoryAddr?: string;
}

export interface OrderTestServer {
  storage: Storage<OrderDatabase>;
  store: OrderStore;
  keys: IdempotencyKeys;
  settler: OrderSettler;
  client: ServiceClient<typeof OrderService>;
  address: string;
  /** Stops the server, closes the database and deletes it. */
  close(): Promise<void>;
}

/** The order service as main.ts assembles it (minus the relay and the settler's timer). */
export async function startOrderTestServer(
  backend: Backend,
  auth: AuthNeighbour,
  inventoryNeighbour: InventoryNeighbour,
  options: OrderTestServerOptions = {},
): Promise<OrderTestServer> {
  const logger = silentLogger();
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  if (backend === 'postgres') database = await createTestDatabase('order_spec');
  else dataDir = mkdtempSync(join(tmpdir(), 'order-spec-'));
  const storage = await createStorage<OrderDatabase>({
    service: 'order',
    serviceDatabaseUrl: database?.url,
    dataDir: dataDir ?? '/nonexistent',
    migrations,
    logger,
  });
  const reserveTimeoutMs = options.reserveTimeoutMs ?? 2_000;
  const inventoryTransport = createGrpcJsTransport({
    address: options.inventoryAddr ?? inventoryNeighbour.address,
  });
  const inventory = createInventoryGateway({
    client: createServiceClient(InventoryService, inventoryTransport),
    timeoutMs: reserveTimeoutMs,
  });
  const store = createOrderStore({ db: storage.db, source: ORDER_SOURCE });
  const keys = createIdempotencyKeys({
    db: storage.db,
    ttlMs: options.idempotencyKeyTtlMs ?? 24 * 60 * 60_000,
    staleAfterMs: options.staleAfterMs,
  });
  const settlement = createStockSettlement({ store, inventory, logger });
  const placement = createOrderPlacement({
    db: storage.db,
    store,
    keys,
    inventory,
    settlement,
    logger,
    lateReleaseDelayMs: options.lateReleaseDelayMs,
  });
  const settler = createOrderSettler({
    store,
    settlement,
    keys,
    serviceToken: createServiceToken({
      authClient: auth.client,
      email: testSettings.adminEmail,
      password: testSettings.adminPassword,
    }),
    intervalMs: 60_000,
    graceMs: 0,
    logger,
  });
  const server = createRpcServer({
    logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 2_000,
    authenticate: createTokenAuthenticator(auth.client, { timeoutMs: 500 }),
  });
  server.addService(OrderService, createOrderService({ store, placement, settlement }), {
    access: orderAccessPolicy,
  });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 30_000 });
  return {
    storage,
    store,
    keys,
    settler,
    client: createServiceClient(OrderService, transport),
    address,
    async close() {
      transport.close();
      await settler.close();
      await server.shutdown();
      inventoryTransport.close();
      await storage.close();
      await database?.drop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The ConnectError a call failed with; fails the test if it succeeded. */
export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** The error-code trailer and the parsed error-details trailer of a failed call. */
export function errorInfo(err: ConnectError): {
  code?: string;
  details?: unknown;
  violations?: unknown;
} {
  const code = err.metadata.get('error-code') ?? undefined;
  const raw = err.metadata.get('error-details');
  const parsed =
    raw === null ? {} : (JSON.parse(raw) as { details?: unknown; violations?: unknown });
  return { code, ...parsed };
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
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}
