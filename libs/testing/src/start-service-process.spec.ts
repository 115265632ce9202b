import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  AuthService,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@switchboard/contracts';
import { createGrpcJsTransport, createServiceClient, errorDetailsOf } from '@switchboard/rpc';
import { createTestDatabase, databaseExists, type TestDatabase } from './postgres-test-server';
import { startGrpcFaultProxy, type GrpcFaultProxy } from './start-grpc-fault-proxy';
import { startServiceProcess, type ServiceProcess } from './start-service-process';

/**
 * True while a process with this pid runs. Signal 0 only checks; a zombie
 * (exited, not yet reaped by whoever adopted it) counts as gone.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

async function healthOf(address: string): Promise<string> {
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 1_000 });
  try {
    const { status } = await createServiceClient(Health, transport).check({ service: '' });
    return ServingStatus[status] ?? String(status);
  } catch (err) {
    return ConnectError.from(err).code === Code.Unavailable ? 'DOWN' : String(err);
  } finally {
    transport.close();
  }
}

const HEALTH_CHECK = `/${Health.typeName}/${Health.method.check.name}`;

describe('startServiceProcess', () => {
  // A fresh database per process is the default; the tests below that give
  // one of their own check that an explicit URL is used as is.
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('service_process_spec');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('starts the service from its main.ts on a free port and stops it with SIGTERM', async () => {
    const auth = await startServiceProcess({ app: 'auth-service' });
    expect(auth.address).toBe(`127.0.0.1:${auth.port}`);
    expect(auth.port).not.toBe(50051);
    expect(alive(auth.pid)).toBe(true);
    expect(await healthOf(auth.address)).toBe('SERVING');

    // Without a database URL it got a fresh database of its own, gone once it has stopped.
    expect(auth.ownDatabase).toMatch(/^auth_service_/);
    expect(await databaseExists(auth.ownDatabase!)).toBe(true);

    await auth.stop();
    expect(alive(auth.pid)).toBe(false);
    expect(await healthOf(auth.address)).toBe('DOWN');
    expect(await databaseExists(auth.ownDatabase!)).toBe(false);
    await auth.stop(); // already gone: nothing to do
  });

  it('kill() ends it at once, without its shutdown', async () => {
    const auth = await startServiceProcess({
      app: 'auth-service',
      env: { LOG_LEVEL: 'info', AUTH_DATABASE_URL: database.url },
    });
    await auth.kill();
    expect(alive(auth.pid)).toBe(false);
    // A graceful stop would have logged its closing steps.
    expect(auth.output()).toContain('serving');
    expect(auth.output()).not.toContain('shutting down');
  });

  it('rejects with the service’s own words when it cannot start', async () => {
    const attempt = startServiceProcess({
      app: 'auth-service',
      env: { AUTH_TOKEN_TTL_SECONDS: 'soon', AUTH_DATABASE_URL: database.url },
    });
    await expect(attempt).rejects.toThrow(/exited \(code 1\) before it was serving/);
    await expect(attempt).rejects.toThrow(/AUTH_TOKEN_TTL_SECONDS/);
  });
});

describe('exit-with-parent', () => {
  it('ends a service process whose test runner was killed', async () => {
    // A stand-in runner: starts a child the way startServiceProcess does, prints its pid, idles.
    const runnerCode = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['--require', ${JSON.stringify(join(__dirname, 'exit-with-parent.cjs'))}, '-e', 'setInterval(() => {}, 1000)'],
        { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      console.log(child.pid);
      setInterval(() => {}, 1000);`;
    const runner = spawn(process.execPath, ['-e', runnerCode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      runner.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    expect(alive(pid)).toBe(true);
    await sleep(300);
    expect(alive(pid)).toBe(true); // the channel alone does not end it

    runner.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL'); // the guard failed: clean up after it
    expect(survived).toBe(false);
  });
});

describe('startGrpcFaultProxy in front of a real service', () => {
  let database: TestDatabase;
  let auth: ServiceProcess;
  let proxy: GrpcFaultProxy;
  let transport: ReturnType<typeof createGrpcJsTransport>;

  beforeAll(async () => {
    database = await createTestDatabase('fault_proxy_spec');
    auth = await startServiceProcess({
      app: 'auth-service',
      env: { AUTH_DATABASE_URL: database.url },
    });
    proxy = await startGrpcFaultProxy({ target: auth.address });
    transport = createGrpcJsTransport({ address: proxy.address, defaultTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    transport?.close();
    await proxy?.close();
    await auth?.stop();
    await database?.drop();
  });
  afterEach(() => proxy.reset());

  const health = () => createServiceClient(Health, transport);
  const authClient = () => createServiceClient(AuthService, transport);

  it('forwards calls, answers, and failures with their trailers unchanged', async () => {
    expect((await health().check({ service: '' })).status).toBe(ServingStatus.SERVING);
    const err = ConnectError.from(
      await authClient()
        .login({ email: 'nobody@example.com', password: 'wrong password here' })
        .catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.Unauthenticated);
    expect(errorDetailsOf(err).reason).toBe('INVALID_CREDENTIALS');
  });

  it('refuses one method with UNAVAILABLE and leaves the others alone', async () => {
    proxy.refuse(HEALTH_CHECK);
    const err = ConnectError.from(
      await health()
        .check({ service: '' })
        .catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.Unavailable);
    const login = ConnectError.from(
      await authClient()
        .login({ email: 'nobody@example.com', password: 'wrong password here' })
        .catch((e: unknown) => e),
    );
    expect(login.code).toBe(Code.Unauthenticated);
    proxy.reset();
    expect((await health().check({ service: '' })).status).toBe(ServingStatus.SERVING);
  });

  it('holds a delayed method back, past the caller’s deadline', async () => {
    proxy.delay(HEALTH_CHECK, 600);
    const started = Date.now();
    const late = await health().check({ service: '' });
    expect(late.status).toBe(ServingStatus.SERVING);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    const err = ConnectError.from(
      await health()
        .check({ service: '' }, { timeoutMs: 200 })
        .catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.DeadlineExceeded);
  });
});
