import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  startServiceProcess,
  type ServiceApp,
  type ServiceProcess,
} from '@switchboard/testing';
import { startKafkaCluster, type KafkaCluster } from './kafka-cluster';
import { startPostgresServer, type PostgresServer } from './postgres-server';

export const ADMIN = { email: 'chaos-admin@example.com', password: 'chaos-admin-password' };

/** One running copy of a service, restartable on the same port, database and metrics port. */
export interface Replica {
  readonly app: ServiceApp;
  readonly address: string;
  readonly metricsUrl: string;
  process(): ServiceProcess;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again with the same environment; resolves once it is SERVING. */
  restart(): Promise<void>;
}

export interface SystemUnderChaos {
  readonly kafka: KafkaCluster;
  readonly postgres: PostgresServer;
  readonly replicas: Readonly<Record<ServiceApp, readonly Replica[]>>;
  /** Comma-separated replica addresses of a service, as `<SERVICE>_ADDR` takes them. */
  addressOf(app: ServiceApp): string;
  databaseUrlOf(app: ServiceApp): string;
  stop(): Promise<void>;
}

/** Two replicas where the issue asks for them; auth and post serve from one. */
const REPLICAS: Partial<Record<ServiceApp, number>> = {
  'auth-service': 1,
  'inventory-service': 2,
  'order-service': 2,
  'post-service': 1,
  'notification-service': 2,
  'reporting-service': 2,
};

const keyOf = (app: ServiceApp) => app.replace(/-service$/, '').toUpperCase();

/**
 * The services as separate OS processes (each built from its main.ts, as
 * `npm start` builds it), on a three-node Kafka cluster and one PostgreSQL
 * server, every replica of a service sharing that service's database and
 * consumer group, and every client dialling all replicas of its peer
 * (round_robin over the comma-separated `<SERVICE>_ADDR`).
 */
export async function startSystemUnderChaos(): Promise<SystemUnderChaos> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-chaos-'));
  const postgres = await startPostgresServer(join(dataDir, 'pg'), await freePort());
  let kafka: KafkaCluster | undefined;
  const replicas: Partial<Record<ServiceApp, Replica[]>> = {};
  try {
    kafka = await startKafkaCluster(dataDir);
    const databases = new Map<ServiceApp, string>();
    const ports = new Map<ServiceApp, number[]>();
    for (const [app, count] of Object.entries(REPLICAS) as [ServiceApp, number][]) {
      databases.set(app, await postgres.createDatabase(app.replace('-', '_')));
      const list: number[] = [];
      for (let i = 0; i < count; i++) list.push(await freePort());
      ports.set(app, list);
    }
    const addressOf = (app: ServiceApp) =>
      (ports.get(app) ?? []).map((port) => `127.0.0.1:${port}`).join(',');
    const common: Record<string, string> = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      AUTH_ADDR: addressOf('auth-service'),
      INVENTORY_ADDR: addressOf('inventory-service'),
      POST_ADDR: addressOf('post-service'),
      // Whatever a killed replica left open is finished within a second or two.
      ORDER_SETTLE_INTERVAL_MS: '1000',
      // Longer than the whole suite: the load's tokens must not expire mid-run.
      AUTH_TOKEN_TTL_SECONDS: '3600',
    };
    // In dependency order: auth first (everyone verifies tokens with it), then
    // inventory before order, which calls it.
    for (const app of Object.keys(REPLICAS) as ServiceApp[]) {
      const key = keyOf(app);
      const started: Replica[] = [];
      for (const port of ports.get(app) ?? []) {
        const metricsPort = await freePort();
        const env = {
          ...common,
          [`${key}_PORT`]: String(port),
          [`${key}_DATABASE_URL`]: databases.get(app)!,
          [`${key}_METRICS_PORT`]: String(metricsPort),
        };
        const start = () => startServiceProcess({ app, env, startTimeoutMs: 120_000 });
        let current = await start();
        started.push({
          app,
          address: `127.0.0.1:${port}`,
          metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
          process: () => current,
          kill: () => current.kill(),
          async restart() {
            current = await start();
          },
        });
      }
      replicas[app] = started;
    }
    const cluster = kafka;
    return {
      kafka: cluster,
      postgres,
      replicas: replicas as Record<ServiceApp, Replica[]>,
      addressOf,
      databaseUrlOf: (app) => databases.get(app)!,
      async stop() {
        await Promise.all(
          Object.values(replicas).flatMap((list) => list.map((r) => r.process().stop())),
        );
        await cluster.stop();
        await postgres.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(
      Object.values(replicas).flatMap((list) => list.map((r) => r.process().kill())),
    );
    await kafka?.stop();
    await postgres.stop();
    throw err;
  }
}
