import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { createLogger } from '@switchboard/logger';
import { createTestDatabase, type TestDatabase } from '@switchboard/testing';
import { createStorage } from '../create-storage';
import type { Storage } from '../storage';

const quiet = createLogger({ service: 'listener-test', level: 'silent' });

/**
 * A TCP forwarder in front of the real server that the test can switch off and
 * on again on the same port: the closest thing to a database restart or a
 * network cut that does not disturb other suites sharing the server.
 */
async function createTcpProxy(targetHost: string, targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  async function start(): Promise<void> {
    server = createServer((incoming) => {
      const outgoing = connect(targetPort, targetHost);
      for (const socket of [incoming, outgoing]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      incoming.pipe(outgoing).pipe(incoming);
      incoming.on('close', () => outgoing.destroy());
      outgoing.on('close', () => incoming.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }

  async function stop(): Promise<void> {
    const closing = new Promise((resolve) => server?.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closing;
  }

  await start();
  return { port: () => port, start, stop };
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function notify(url: string, channel: string, payload: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_notify($1, $2)', [channel, payload]);
  } finally {
    await client.end();
  }
}

describe('storage on PostgreSQL when the server goes away and comes back', () => {
  let database: TestDatabase;
  let proxy: Awaited<ReturnType<typeof createTcpProxy>>;
  let storage: Storage<unknown>;

  beforeAll(async () => {
    database = await createTestDatabase('storage_outage');
    const direct = new URL(database.url);
    proxy = await createTcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port());
    storage = await createStorage({
      service: 'outage',
      serviceDatabaseUrl: viaProxy.toString(),
      migrations: {},
      logger: quiet,
      pingTimeoutMs: 1000,
      connectTimeoutMs: 1000,
    });
  });

  afterAll(async () => {
    await storage?.close();
    await proxy?.stop();
    await database?.drop();
  });

  it('ping fails while the server is unreachable, naming it, and recovers; LISTEN resumes after reconnect', async () => {
    const received: string[] = [];
    let reconnects = 0;
    await storage.listen('wake_up', (payload) => received.push(payload), {
      onReconnect: () => reconnects++,
    });
    await notify(database.url, 'wake_up', 'before');
    await waitFor(() => received.length === 1);
    await expect(storage.ping()).resolves.toBeUndefined();

    await proxy.stop();
    const failure = storage.ping();
    await expect(failure).rejects.toThrow(`127.0.0.1:${proxy.port()}`);
    await expect(failure).rejects.not.toThrow(':postgres@'); // the password stays masked
    await notify(database.url, 'wake_up', 'lost-while-down');

    await proxy.start();
    await waitFor(() => reconnects === 1);
    await expect(storage.ping()).resolves.toBeUndefined();
    await notify(database.url, 'wake_up', 'after');
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['before', 'after']);
  });
});
