import { AuthService, InventoryService } from '@switchboard/contracts';
import { createRpcServer, uniformAccess, type RpcServer } from '@switchboard/rpc';
import { createTestLogger, eventually, freePort } from '@switchboard/testing';
import { createManualClock } from '@switchboard/timing';
import type { ConsoleTarget } from '../console-target';
import { createServiceCatalog } from './create-service-catalog';
import type { ServiceCatalog } from './service-catalog';

/** A real gRPC server on `port` serving `desc` (every method UNIMPLEMENTED), with health and reflection. */
async function startServer(desc: typeof AuthService | typeof InventoryService, port: number) {
  const server = createRpcServer({
    logger: createTestLogger('catalog-spec'),
    host: '127.0.0.1',
    port,
    maxReceiveBytes: 1024 * 1024,
    shutdownGraceMs: 100,
  });
  server.addService(desc, {}, { access: uniformAccess(desc, 'public') });
  await server.start();
  return server;
}

describe('the service catalog', () => {
  const clock = createManualClock();
  const TTL_MS = 10_000;
  const servers: RpcServer[] = [];
  let catalog: ServiceCatalog;
  let authPort: number;
  let inventoryPort: number;

  const listed = async () =>
    (await catalog.snapshot()).reflected.flatMap((t) =>
      t.services.map((s) => `${t.target.id} ${s.typeName}`),
    );

  beforeAll(async () => {
    [authPort, inventoryPort] = [await freePort(), await freePort()];
    servers.push(await startServer(AuthService, authPort));
    const targets: ConsoleTarget[] = [
      { id: 'auth-service', kind: 'service', address: `127.0.0.1:${authPort}` },
      { id: 'inventory-service', kind: 'service', address: `127.0.0.1:${inventoryPort}` },
      { id: 'edge-gateway', kind: 'edge', address: 'http://127.0.0.1:1' },
    ];
    catalog = createServiceCatalog({ targets, clock, timeoutMs: 5_000, ttlMs: TTL_MS });
  });
  afterAll(async () => {
    catalog?.close();
    await Promise.all(servers.map((s) => s.shutdown()));
  });

  it('lists the reachable targets and says why the others are missing', async () => {
    const { reflected, omitted } = await catalog.snapshot();
    expect(reflected.map((t) => t.services.map((s) => s.typeName))).toEqual([
      ['switchboard.auth.v1.AuthService'],
    ]);
    expect(omitted.map((o) => o.target.id)).toEqual(['inventory-service']);
    expect(omitted[0]!.reason).toMatch(/UNAVAILABLE|ECONNREFUSED|No connection/i);
  });

  it('asks a target that failed again at once, without waiting for the cache to expire', async () => {
    servers.push(await startServer(InventoryService, inventoryPort));
    // The channel retries within a second; no clock step is needed.
    await eventually(
      async () =>
        (await listed()).includes('inventory-service switchboard.inventory.v1.InventoryService'),
      10_000,
      'inventory to be listed once it serves',
    );
  });

  it('reuses an answer until its time is up, then asks again', async () => {
    expect(await listed()).toContain('auth-service switchboard.auth.v1.AuthService');
    await servers[0]!.shutdown();
    // Cached: the stopped server is still listed...
    expect(await listed()).toContain('auth-service switchboard.auth.v1.AuthService');
    await clock.advance(TTL_MS);
    // ...until the cache expires and the target is asked again.
    const { omitted } = await catalog.snapshot();
    expect(omitted.map((o) => o.target.id)).toEqual(['auth-service']);
  });

  it('finds the target serving a service, and nothing for a service nobody serves', async () => {
    const found = await catalog.find('switchboard.inventory.v1.InventoryService');
    expect(found?.reflected.target.id).toBe('inventory-service');
    expect(found?.service.methods.map((m) => m.name)).toContain('GetProduct');
    expect(await catalog.find('switchboard.nothing.v1.Nothing')).toBeUndefined();
  });
});
