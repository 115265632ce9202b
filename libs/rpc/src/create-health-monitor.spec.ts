import { uniformAccess } from './access-policy';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  InventoryService,
} from '@switchboard/contracts';
import { createGrpcJsTransport } from './create-grpc-js-transport';
import { createHealthMonitor } from './create-health-monitor';
import { LIVENESS_SERVICE } from './create-rpc-server';
import { createServiceClient } from './create-service-client';
import { startTestServer } from './start-test-server';

const INVENTORY = 'switchboard.inventory.v1.InventoryService';

describe('createHealthMonitor', () => {
  it('serves when there is nothing to probe', async () => {
    const monitor = createHealthMonitor({ probes: {}, intervalMs: 1000 });
    expect(monitor.serving).toBe(true);
    expect(await monitor.checkNow()).toBe(true);
  });

  it('fails a probe that hangs past its timeout and names it', async () => {
    const monitor = createHealthMonitor({
      probes: { db: () => new Promise(() => undefined), kafka: async () => undefined },
      intervalMs: 1000,
      probeTimeoutMs: 30,
    });
    expect(await monitor.checkNow()).toBe(false);
    expect(monitor.failures).toEqual([{ probe: 'db', error: 'probe db timed out after 30 ms' }]);
  });

  it('reports the first round, then transitions only', async () => {
    let up = false;
    const monitor = createHealthMonitor({
      probes: {
        db: async () => {
          if (!up) throw new Error('connection refused');
        },
      },
      intervalMs: 1000,
    });
    const changes: boolean[] = [];
    monitor.onChange((c) => changes.push(c.serving));
    await monitor.checkNow();
    up = true;
    await monitor.checkNow();
    await monitor.checkNow();
    up = false;
    await monitor.checkNow();
    expect(changes).toEqual([false, true, false]);
  });
});

describe('grpc.health.v1 on the server', () => {
  // Runs even when an assertion failed, so a failing test cannot leave a server behind.
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('flips NOT_SERVING to SERVING when a probe recovers, for Check and Watch', async () => {
    let dbUp = false;
    const monitor = createHealthMonitor({
      probes: {
        db: async () => {
          if (!dbUp) throw new Error('db down');
        },
        kafka: async () => undefined,
      },
      intervalMs: 40,
    });
    const t = await startTestServer(
      (server) =>
        server.addService(
          InventoryService,
          {},
          { access: uniformAccess(InventoryService, 'public') },
        ),
      { health: monitor },
    );
    const transport = createGrpcJsTransport({ address: t.address });
    const health = createServiceClient(Health, transport);
    cleanups.push(
      () => transport.close(),
      () => t.server.shutdown(),
    );

    // No token: health checks are public.
    expect((await health.check({ service: '' })).status).toBe(ServingStatus.NOT_SERVING);
    expect((await health.check({ service: INVENTORY })).status).toBe(ServingStatus.NOT_SERVING);
    // A failing dependency makes the service unready, never "dead": liveness stays SERVING.
    expect((await health.check({ service: LIVENESS_SERVICE })).status).toBe(ServingStatus.SERVING);
    const unknown = await health.check({ service: 'nope.Service' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ConnectError);
    expect((unknown as ConnectError).code).toBe(Code.NotFound);

    const controller = new AbortController();
    const seen: ServingStatus[] = [];
    const watching = (async () => {
      const stream = health.watch(
        { service: INVENTORY },
        { signal: controller.signal, timeoutMs: 10_000 },
      );
      for await (const update of stream) {
        seen.push(update.status);
        if (update.status === ServingStatus.SERVING) break;
      }
    })();
    const until = async (predicate: () => boolean) => {
      for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => seen.length === 1);
    dbUp = true;
    await watching;
    expect(seen).toEqual([ServingStatus.NOT_SERVING, ServingStatus.SERVING]);
    expect((await health.check({ service: '' })).status).toBe(ServingStatus.SERVING);

    expect(t.logs.lines).toContainEqual(
      expect.objectContaining({
        health: 'NOT_SERVING',
        failures: [{ probe: 'db', error: 'db down' }],
      }),
    );
    expect(t.logs.lines).toContainEqual(expect.objectContaining({ health: 'SERVING' }));
  });

  it('streams SERVICE_UNKNOWN for an unknown name, and NOT_SERVING then the end on shutdown', async () => {
    const t = await startTestServer((server) =>
      server.addService(
        InventoryService,
        {},
        { access: uniformAccess(InventoryService, 'public') },
      ),
    );
    const transport = createGrpcJsTransport({ address: t.address });
    const health = createServiceClient(Health, transport);
    cleanups.push(
      () => transport.close(),
      () => t.server.shutdown(),
    );

    const unknown = health.watch({ service: 'nope.Service' })[Symbol.asyncIterator]();
    expect((await unknown.next()).value?.status).toBe(ServingStatus.SERVICE_UNKNOWN);
    await unknown.return?.();

    const seen: ServingStatus[] = [];
    const watching = (async () => {
      for await (const update of health.watch({ service: '' }, { timeoutMs: 10_000 })) {
        seen.push(update.status);
      }
    })();
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await t.server.shutdown();
    await watching;
    // The watch ended on its own instead of holding shutdown for the grace period.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });
});
