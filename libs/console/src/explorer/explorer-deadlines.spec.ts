import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { AuthService, ConsoleService, type InvokeResponse } from '@switchboard/contracts';
import { createRpcServer, uniformAccess, type RpcServer } from '@switchboard/rpc';
import { createTestLogger, eventually } from '@switchboard/testing';
import { createExplorerMethods, type ExplorerMethods } from './create-explorer-methods';

interface Served {
  explorer: ExplorerMethods;
  server: Server;
  client: Client<typeof ConsoleService>;
}

/**
 * Unary calls from the explorer end at the deadline, or when the browser
 * goes away. The target is a real gRPC server whose GetJwks never answers on
 * its own; it records why each call ended, as its abort signal says.
 */
describe('the explorer ends unary calls', () => {
  let target: RpcServer;
  let address: string;
  const served: Served[] = [];
  let started = 0;
  const ended: Code[] = [];

  async function serveExplorer(callTimeoutMs: number): Promise<Served> {
    const explorer = createExplorerMethods({
      targets: [{ id: 'auth-service', kind: 'service', address }],
      callTimeoutMs,
    });
    const server = createServer(
      connectNodeAdapter({ routes: (router) => router.service(ConsoleService, explorer) }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1' }),
    );
    const one = { explorer, server, client };
    served.push(one);
    return one;
  }

  beforeAll(async () => {
    target = createRpcServer({
      logger: createTestLogger('explorer-deadlines'),
      host: '127.0.0.1',
      port: 0,
      maxReceiveBytes: 1024 * 1024,
      shutdownGraceMs: 100,
    });
    target.addService(
      AuthService,
      {
        getJwks: (_request, ctx) =>
          new Promise((_resolve, reject) => {
            started += 1;
            ctx.signal.addEventListener('abort', () => {
              ended.push(ConnectError.from(ctx.signal.reason).code);
              reject(ctx.signal.reason);
            });
          }),
      },
      { access: uniformAccess(AuthService, 'public') },
    );
    address = `127.0.0.1:${await target.start()}`;
  });
  afterAll(async () => {
    for (const { server, explorer } of served) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      explorer.close();
    }
    await target?.shutdown();
  });

  const getJwks = (client: Client<typeof ConsoleService>, signal?: AbortSignal) =>
    client.invoke({ service: 'switchboard.auth.v1.AuthService', method: 'GetJwks' }, { signal });

  it('gives a unary call the deadline, and answers DEADLINE_EXCEEDED', async () => {
    const { client } = await serveExplorer(300);
    const responses: InvokeResponse[] = [];
    for await (const response of getJwks(client)) responses.push(response);
    expect(responses.map((r) => r.result)).toEqual([
      {
        case: 'status',
        value: expect.objectContaining({ code: 4, codeName: 'DEADLINE_EXCEEDED' }),
      },
    ]);
    await eventually(async () => ended.length === 1, 5_000, 'the server to see the call end');
    expect(ended).toEqual([Code.DeadlineExceeded]);
  });

  it('cancels the call upstream when the browser goes away', async () => {
    // A deadline far away: only the abort can end this call.
    const { client } = await serveExplorer(60_000);
    const abort = new AbortController();
    const before = started;
    const call = (async () => {
      for await (const _ of getJwks(client, abort.signal)) {
        throw new Error('nothing should arrive');
      }
    })();
    await eventually(async () => started > before, 10_000, 'the call to reach the service');
    abort.abort();
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
    await eventually(async () => ended.length === 2, 5_000, 'the server to see the call end');
    expect(ended[1]).toBe(Code.Canceled);
  });
});
