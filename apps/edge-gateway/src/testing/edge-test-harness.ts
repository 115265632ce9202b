import type { Logger } from '@switchboard/logger';
import {
  createTestDatabase,
  createTestLogger,
  startServiceProcess,
  type ServiceApp,
  type ServiceProcess,
  type TestDatabase,
} from '@switchboard/testing';
import { loadEdgeConfig } from '../load-edge-config';
import { startEdgeGateway, type RunningEdgeGateway } from '../start-edge-gateway';

/** The admin the auth process seeds from ADMIN_EMAIL / ADMIN_PASSWORD. */
export const ADMIN = {
  email: 'edge-spec-admin@example.com',
  password: 'edge-spec-admin-password',
} as const;

export const silentLogger = (): Logger => createTestLogger('edge-test');

export interface EdgeUpstreams {
  readonly processes: Record<
    'auth' | 'inventory' | 'order' | 'post' | 'notification',
    ServiceProcess
  >;
  readonly addresses: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The five public services as real processes, each on its own fresh database
 * on the test PostgreSQL server and the shared broker, wired to each other as
 * `npm start` wires them.
 */
export async function startEdgeUpstreams(): Promise<EdgeUpstreams> {
  const databases: TestDatabase[] = [];
  const started: ServiceProcess[] = [];
  async function start(app: ServiceApp, env: Record<string, string>) {
    const key = app.replace(/-service$/, '').toUpperCase();
    const db = await createTestDatabase(`edge_${key.toLowerCase()}`);
    databases.push(db);
    const service = await startServiceProcess({
      app,
      env: { ...env, [`${key}_DATABASE_URL`]: db.url },
    });
    started.push(service);
    return service;
  }
  try {
    const admin = { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };
    const auth = await start('auth-service', admin);
    const peers = { AUTH_ADDR: auth.address };
    const [inventory, post] = await Promise.all([
      start('inventory-service', peers),
      start('post-service', peers),
    ]);
    const [order, notification] = await Promise.all([
      start('order-service', { ...peers, INVENTORY_ADDR: inventory.address }),
      start('notification-service', { ...peers, POST_ADDR: post.address }),
    ]);
    const processes = { auth, inventory, order, post, notification };
    return {
      processes,
      addresses: {
        AUTH_ADDR: auth.address,
        INVENTORY_ADDR: inventory.address,
        ORDER_ADDR: order.address,
        POST_ADDR: post.address,
        NOTIFICATION_ADDR: notification.address,
      },
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
        await Promise.all(databases.map((db) => db.drop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all(databases.map((db) => db.drop()));
    throw err;
  }
}

/** The gateway in this process on a free port, configured through its environment like main.ts. */
export async function startTestGateway(
  upstreams: EdgeUpstreams,
  env: Record<string, string> = {},
  now?: () => number,
): Promise<RunningEdgeGateway> {
  const config = loadEdgeConfig({
    SWITCHBOARD_ENV: 'development',
    EDGE_PORT: '0',
    SHUTDOWN_GRACE_MS: '1000',
    ...upstreams.addresses,
    ...env,
  });
  return startEdgeGateway(config, silentLogger(), now);
}
