import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AuthService, ConsoleService } from '@switchboard/contracts';
import {
  createGrpcJsTransport,
  createServiceClient,
  type GrpcJsTransport,
  type ServiceClient,
} from '@switchboard/rpc';
import { createTestLogger, startServiceProcess, type ServiceProcess } from '@switchboard/testing';
import type { ConsoleServer } from './console-server';
import { createAuthAuthenticator } from './create-auth-authenticator';
import { createConsoleServer } from './create-console-server';

const ADMIN = { email: 'console-admin@switchboard.test', password: 'console-admin-password' };

async function codeOf(call: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    if (err instanceof ConnectError) return err.code;
    throw err;
  }
}

describe('the console with the real auth service: RedriveDeadLetters is for admins', () => {
  let auth: ServiceProcess;
  let authTransport: GrpcJsTransport;
  let authClient: ServiceClient<typeof AuthService>;
  let server: ConsoleServer;
  let client: Client<typeof ConsoleService>;
  let uiDir: string;
  const redriven: string[] = [];

  beforeAll(async () => {
    auth = await startServiceProcess({
      app: 'auth-service',
      env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    });
    authTransport = createGrpcJsTransport({ address: auth.address });
    authClient = createServiceClient(AuthService, authTransport);
    uiDir = await mkdtemp(join(tmpdir(), 'console-ui-'));
    server = await createConsoleServer({
      host: '127.0.0.1',
      port: 0,
      methods: [
        {
          redriveDeadLetters(request) {
            redriven.push(request.topic);
            return { redriven: 2, refused: [] };
          },
        },
      ],
      otlp: () => false,
      uiDir,
      authenticate: createAuthAuthenticator({ authClient }),
      logger: createTestLogger('console-auth-test'),
    });
    client = createClient(
      ConsoleService,
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    );
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    authTransport?.close();
    await auth?.stop();
    if (uiDir) await rm(uiDir, { recursive: true, force: true });
  });

  const redrive = (authorization?: string) =>
    client.redriveDeadLetters(
      { topic: 'sales.orders.v1.dlq' },
      authorization === undefined ? {} : { headers: { authorization } },
    );

  it('refuses a call without a token, with a malformed header, or with a bad token: UNAUTHENTICATED', async () => {
    expect(await codeOf(redrive())).toBe(Code.Unauthenticated);
    expect(await codeOf(redrive('Basic YWRtaW46YWRtaW4='))).toBe(Code.Unauthenticated);
    expect(await codeOf(redrive('Bearer not.a.token'))).toBe(Code.Unauthenticated);
    expect(redriven).toEqual([]);
  });

  it("refuses a customer's valid token: PERMISSION_DENIED", async () => {
    const email = `console-customer-${Date.now()}@switchboard.test`;
    await authClient.register({
      email,
      password: 'customer-password-1',
      displayName: 'Console customer',
    });
    const { accessToken } = await authClient.login({ email, password: 'customer-password-1' });
    expect(await codeOf(redrive(`Bearer ${accessToken}`))).toBe(Code.PermissionDenied);
    // A public method takes the same valid token.
    expect(
      await codeOf(
        client.listServices({}, { headers: { authorization: `Bearer ${accessToken}` } }),
      ),
    ).toBe(Code.Unimplemented);
    expect(redriven).toEqual([]);
  });

  it("lets the seeded admin's token through to the part", async () => {
    const { accessToken } = await authClient.login(ADMIN);
    const res = await redrive(`Bearer ${accessToken}`);
    expect(res.redriven).toBe(2);
    expect(redriven).toEqual(['sales.orders.v1.dlq']);
  });

  it("refuses the admin's token once it is revoked", async () => {
    const { accessToken } = await authClient.login(ADMIN);
    await authClient.revokeToken({ accessToken });
    expect(await codeOf(redrive(`Bearer ${accessToken}`))).toBe(Code.Unauthenticated);
  });

  it('refuses a bad token sent to a public method, as the services do', async () => {
    expect(
      await codeOf(client.listServices({}, { headers: { authorization: 'Bearer forged' } })),
    ).toBe(Code.Unauthenticated);
  });
});
