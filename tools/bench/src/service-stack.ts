// The workspace's services as real processes for the load benchmarks: each
// built from its main.ts and started with startServiceProcess (libs/testing)
// on pre-chosen free loopback ports, with a fresh database each on the
// bench's PostgreSQL server, so a stack can be stopped and started again on
// the same ports and databases (the warm start-up case).
import { randomUUID } from 'node:crypto';
import type { DescService } from '@bufbuild/protobuf';
import { AuthService } from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, type ServiceClient } from '@switchboard/rpc';
import {
  createTestDatabase,
  serviceApps,
  startServiceProcess,
  type ServiceApp,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';
import { freeBenchPort, type BenchContext } from './bench-context';

export const ALL_APPS: readonly ServiceApp[] = serviceApps;

/** AUTH for auth-service, …: the prefix of a service's variables. */
export const envKeyOf = (app: ServiceApp) => app.replace(/-service$/, '').toUpperCase();

/** The admin auth seeds at start-up (README defaults, as `npm start` has them). */
export const ADMIN = { email: 'admin@switchboard.local', password: 'switchboard-admin' } as const;

export interface StackOptions {
  readonly apps: readonly ServiceApp[];
  /** The PostgreSQL server the services get their databases on (default: the bench's own). */
  readonly databaseServer?: string;
  readonly brokers: readonly string[];
  /** Added to every service's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ServiceStack {
  address(app: ServiceApp): string;
  /** The URL of an app's own database on the bench's PostgreSQL server. */
  databaseUrl(app: ServiceApp): string;
  /** The running process of an app (throws when the stack is stopped). */
  process(app: ServiceApp): ServiceProcess;
  /**
   * Starts every app at once and resolves when all answer SERVING, with the
   * milliseconds that took per app (from its start call to its SERVING).
   */
  start(): Promise<Map<ServiceApp, number>>;
  /** Stops the processes (SIGTERM); databases and ports stay for the next start(). */
  stop(): Promise<void>;
  /** A typed client on an app, closed with the stack. */
  client<S extends DescService>(service: S, app: ServiceApp): ServiceClient<S>;
  /** Stops everything and deletes the databases. Safe to call twice. */
  dispose(): Promise<void>;
}

export async function createServiceStack(
  ctx: BenchContext,
  options: StackOptions,
): Promise<ServiceStack> {
  const ports = new Map<ServiceApp, number>();
  for (const app of options.apps) ports.set(app, await freeBenchPort());
  const address = (app: ServiceApp) => `127.0.0.1:${ports.get(app) ?? 0}`;
  const databases = new Map<ServiceApp, TestDatabase>();
  for (const app of options.apps) {
    databases.set(
      app,
      await createTestDatabase(
        `bench_${envKeyOf(app).toLowerCase()}`,
        options.databaseServer ?? ctx.databaseServer,
      ),
    );
  }
  const running = new Map<ServiceApp, ServiceProcess>();
  const transports: { close(): void }[] = [];

  const envOf = (app: ServiceApp): Record<string, string> => {
    const key = envKeyOf(app);
    const env: Record<string, string> = {
      KAFKA_BROKERS: options.brokers.join(','),
      // The services' own default (startServiceProcess would lower it to warn).
      LOG_LEVEL: 'info',
      // Tokens outlive the longest full run.
      AUTH_TOKEN_TTL_SECONDS: '7200',
      [`${key}_PORT`]: String(ports.get(app)),
      ...(options.env ?? {}),
    };
    for (const peer of options.apps) env[`${envKeyOf(peer)}_ADDR`] = address(peer);
    env[`${key}_DATABASE_URL`] = databases.get(app)!.url;
    return env;
  };

  const stop = async () => {
    const stopping = [...running.values()].map((service) => service.stop());
    running.clear();
    await Promise.all(stopping);
  };
  let disposed: Promise<void> | undefined;
  const dispose = () =>
    (disposed ??= (async () => {
      for (const transport of transports) transport.close();
      await stop();
      for (const database of databases.values()) await database.drop();
    })());
  ctx.onCleanup(dispose);

  return {
    address,
    databaseUrl(app) {
      const database = databases.get(app);
      if (database === undefined) throw new Error(`${app} is not in this stack`);
      return database.url;
    },
    process(app) {
      const service = running.get(app);
      if (service === undefined) throw new Error(`${app} is not running`);
      return service;
    },
    async start() {
      const times = new Map<ServiceApp, number>();
      const started = await Promise.allSettled(
        options.apps.map(async (app) => {
          const t0 = performance.now();
          const service = await startServiceProcess({
            app,
            env: envOf(app),
            startTimeoutMs: 120_000,
          });
          times.set(app, performance.now() - t0);
          running.set(app, service);
        }),
      );
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) {
        await stop();
        throw failed.reason;
      }
      return times;
    },
    stop,
    client(service, app) {
      const transport = createGrpcJsTransport({ address: address(app), defaultTimeoutMs: 30_000 });
      transports.push(transport);
      return createServiceClient(service, transport);
    },
    dispose,
  };
}

export interface BenchUser {
  readonly userId: string;
  readonly token: string;
  /** Call options carrying the token. */
  readonly auth: { headers: Record<string, string> };
}

const asUser = (userId: string, token: string): BenchUser => ({
  userId,
  token,
  auth: { headers: { authorization: `Bearer ${token}` } },
});

/** The seeded admin, logged in. */
export async function loginAdmin(stack: Pick<ServiceStack, 'client'>): Promise<BenchUser> {
  const login = await stack.client(AuthService, 'auth-service').login(ADMIN);
  return asUser(login.userId, login.accessToken);
}

/** A new customer, registered and logged in. */
export async function newCustomer(
  stack: Pick<ServiceStack, 'client'>,
  name: string,
): Promise<BenchUser> {
  const auth = stack.client(AuthService, 'auth-service');
  const email = `${name}-${randomUUID().slice(0, 8)}@bench.example`;
  const password = 'bench-correct-horse-battery';
  await auth.register({ email, password, displayName: name });
  const login = await auth.login({ email, password });
  return asUser(login.userId, login.accessToken);
}
