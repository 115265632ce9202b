import { uniformAccess } from './access-policy';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  InventoryService,
} from '@switchboard/contracts';
import { createGrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import { startRpcServer, type StartRpcServerOptions } from './start-rpc-server';
import { captureLogs } from './start-test-server';
import { createManualClock } from '@switchboard/timing';

function options(overrides: Partial<StartRpcServerOptions> = {}) {
  const logs = captureLogs();
  const base: StartRpcServerOptions = {
    logger: logs.logger,
    host: '127.0.0.1',
    port: 0,
    maxReceiveBytes: 64 * 1024,
    shutdownGraceMs: 1_000,
    probes: {},
    healthIntervalMs: 50,
    register: (server) =>
      server.addService(
        InventoryService,
        { getProduct: async (request) => ({ product: { sku: request.sku } }) },
        { access: uniformAccess(InventoryService, 'public') },
      ),
    ...overrides,
  };
  return { logs, options: base };
}

/** Clients of a running server; closed by the caller. */
function clientsOf(port: number) {
  const transport = createGrpcJsTransport({
    address: `127.0.0.1:${port}`,
    defaultTimeoutMs: 2_000,
  });
  return {
    health: createServiceClient(Health, transport),
    inventory: createServiceClient(InventoryService, transport),
    close: () => transport.close(),
  };
}

async function statusWhen(
  check: () => Promise<ServingStatus>,
  wanted: ServingStatus,
): Promise<ServingStatus> {
  const deadline = Date.now() + 5_000;
  let status = await check();
  while (status !== wanted && Date.now() < deadline) {
    await sleep(25);
    status = await check();
  }
  return status;
}

describe('startRpcServer', () => {
  it('serves the registered services, reports SERVING once probes pass, and logs one serving line', async () => {
    let probed = 0;
    const { logs, options: opts } = options({
      probes: { database: async () => void probed++ },
    });
    const server = await startRpcServer(opts);
    const clients = clientsOf(server.port);
    try {
      expect(server.port).toBeGreaterThan(0);
      const reply = await clients.inventory.getProduct({ sku: 'SKU-1' });
      expect(reply.product?.sku).toBe('SKU-1');
      const status = await statusWhen(
        async () => (await clients.health.check({ service: '' })).status,
        ServingStatus.SERVING,
      );
      expect(status).toBe(ServingStatus.SERVING);
      expect(probed).toBeGreaterThan(0);
      const serving = logs.lines.filter((line) => line.msg === 'serving');
      expect(serving).toEqual([expect.objectContaining({ port: server.port })]);
    } finally {
      clients.close();
      await server.close();
    }
  });

  it('reports NOT_SERVING while a probe fails, and follows it round by round', async () => {
    const clock = createManualClock();
    let brokerDown = true;
    let kafkaRounds = 0;
    const { options: opts } = options({
      healthClock: clock,
      probes: {
        database: async () => undefined,
        kafka: async () => {
          kafkaRounds++;
          if (brokerDown) throw new Error('broker down');
        },
      },
    });
    const server = await startRpcServer(opts);
    const clients = clientsOf(server.port);
    const status = async () => (await clients.health.check({ service: '' })).status;
    try {
      // The first round runs at start; the clock stands still, so no second one follows.
      expect(await status()).toBe(ServingStatus.NOT_SERVING);
      expect(kafkaRounds).toBe(1);
      brokerDown = false;
      await clock.advance(50);
      expect(await statusWhen(status, ServingStatus.SERVING)).toBe(ServingStatus.SERVING);
      brokerDown = true;
      await clock.advance(50);
      expect(await statusWhen(status, ServingStatus.NOT_SERVING)).toBe(ServingStatus.NOT_SERVING);
      expect(kafkaRounds).toBe(3);
    } finally {
      clients.close();
      await server.close();
    }
  });

  it('close() stops serving and stops the probes; a second close() is harmless', async () => {
    const clock = createManualClock();
    let probed = 0;
    const { options: opts } = options({
      healthClock: clock,
      probes: { database: async () => void probed++ },
    });
    const server = await startRpcServer(opts);
    const clients = clientsOf(server.port);
    try {
      await clients.inventory.getProduct({ sku: 'A1' });
      await server.close();
      await server.close();
      const afterClose = probed;
      expect(clock.pending).toBe(0);
      await clock.advance(1_000);
      expect(probed).toBe(afterClose);
      const err = await clients.inventory.getProduct({ sku: 'B1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unavailable);
    } finally {
      clients.close();
    }
  });

  it('rejects when the port is taken, without leaving probes running', async () => {
    const first = await startRpcServer(options().options);
    // grpc-js reports the failed bind on the console as well; the rejection is what is tested.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    let probed = 0;
    const clock = createManualClock();
    try {
      const { logs, options: opts } = options({
        port: first.port,
        healthClock: clock,
        probes: { database: async () => void probed++ },
      });
      await expect(startRpcServer(opts)).rejects.toThrow();
      expect(clock.pending).toBe(0);
      await clock.advance(1_000);
      expect(probed).toBe(0);
      expect(logs.lines.some((line) => line.msg === 'serving')).toBe(false);
    } finally {
      consoleError.mockRestore();
      await first.close();
    }
  });
});
