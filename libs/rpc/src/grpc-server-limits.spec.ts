import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InventoryService } from '@switchboard/contracts';
import { uniformAccess } from './access-policy';
import { createGrpcJsTransport, type GrpcJsTransport } from './create-grpc-js-transport';
import { createServiceClient } from './create-service-client';
import type { RpcServerLimits } from './grpc-server-options-of';
import { startTestServer, type TestServer } from './start-test-server';

/**
 * A TCP relay in front of the server that counts the connections clients
 * make through it and can stop relaying, like a peer that vanished.
 */
async function startConnectionCounter(target: number) {
  const upstreams = new Set<Socket>();
  let opened = 0;
  let closedByServer = 0;
  let frozen = false;
  const changed = new Set<() => void>();
  const notify = () => changed.forEach((listener) => listener());
  const relay: Server = createServer((client) => {
    opened++;
    const upstream = createConnection(target, '127.0.0.1');
    upstreams.add(upstream);
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', () => {
      closedByServer++;
      upstreams.delete(upstream);
      end();
      notify();
    });
    client.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
    notify();
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const { port } = relay.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    get opened() {
      return opened;
    },
    get closedByServer() {
      return closedByServer;
    },
    /** From now on nothing passes either way, though both sockets stay open. */
    freeze() {
      frozen = true;
    },
    /** Resolves once `condition` holds, re-checked at every connection change. */
    until(condition: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!condition()) return;
          changed.delete(check);
          resolve();
        };
        changed.add(check);
        check();
      });
    },
    async close() {
      for (const socket of upstreams) socket.destroy();
      relay.close();
    },
  };
}

describe('gRPC server limits', () => {
  let t: TestServer | undefined;
  let relay: Awaited<ReturnType<typeof startConnectionCounter>> | undefined;
  let transport: GrpcJsTransport | undefined;
  /** Calls waiting in the handler, each released by calling it. */
  let held: (() => void)[] = [];
  let enteredListeners: (() => void)[] = [];

  afterEach(async () => {
    held.forEach((release) => release());
    held = [];
    enteredListeners = [];
    transport?.close();
    await relay?.close();
    await t?.server.shutdown();
  });

  /** A server whose GetProduct, for sku "hold", waits until the test releases it. */
  async function start(limits: RpcServerLimits) {
    t = await startTestServer(
      (server) =>
        server.addService(
          InventoryService,
          {
            async getProduct(request) {
              if (request.sku === 'HOLD') {
                await new Promise<void>((resolve) => {
                  held.push(resolve);
                  enteredListeners.forEach((listener) => listener());
                });
              }
              return { product: { sku: request.sku } };
            },
          },
          { access: uniformAccess(InventoryService, 'public') },
        ),
      limits,
    );
    relay = await startConnectionCounter(t.port);
    transport = createGrpcJsTransport({ address: relay.address, defaultTimeoutMs: 10_000 });
    return createServiceClient(InventoryService, transport);
  }

  const heldCount = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => held.length >= n && resolve();
      enteredListeners.push(check);
      check();
    });

  it('runs at most maxConcurrentStreams calls of a connection; the next waits for one to end', async () => {
    const client = await start({ maxConcurrentStreams: 2 });
    const calls = [1, 2, 3].map(() => client.getProduct({ sku: 'HOLD' }));
    await heldCount(2);
    // Waiting for something not to happen needs a while; the first two took far less.
    await sleep(300);
    expect(held).toHaveLength(2);
    held[0]!();
    await heldCount(3);
    held.slice(1).forEach((release) => release());
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.product?.sku)).toEqual(['HOLD', 'HOLD', 'HOLD']);
    expect(relay!.opened).toBe(1);
  });

  it('retires a connection after maxConnectionAgeMs; calls continue on a new one and a running call finishes', async () => {
    const client = await start({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 5_000 });
    const running = client.getProduct({ sku: 'HOLD' });
    await heldCount(1);
    // Every call succeeds while connections are retired under them.
    while (relay!.opened < 3) {
      expect((await client.getProduct({ sku: 'QUICK' })).product?.sku).toBe('QUICK');
    }
    // The call from the first connection was let finish within the grace period.
    held[0]!();
    expect((await running).product?.sku).toBe('HOLD');
  });

  it('closes a connection idle for maxConnectionIdleMs; the next call reconnects', async () => {
    const client = await start({ maxConnectionIdleMs: 200 });
    await client.getProduct({ sku: 'ONE' });
    await relay!.until(() => relay!.closedByServer === 1);
    expect((await client.getProduct({ sku: 'TWO' })).product?.sku).toBe('TWO');
    expect(relay!.opened).toBe(2);
  });

  it('drops a connection whose client stops answering keepalive pings', async () => {
    const client = await start({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
    await client.getProduct({ sku: 'ONE' });
    relay!.freeze();
    const startedAt = Date.now();
    await relay!.until(() => relay!.closedByServer === 1);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
