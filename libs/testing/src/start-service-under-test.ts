import { Writable } from 'node:stream';
import type { DescService } from '@bufbuild/protobuf';
import { createLogger } from '@switchboard/logger';
import { createGrpcJsTransport, createServiceClient } from '@switchboard/rpc';
import { createTestDatabase, type TestDatabase } from './postgres-test-server';
import type {
  RunningService,
  ServiceUnderTest,
  ServiceUnderTestOptions,
  TestableConfig,
  TestableService,
} from './service-under-test';

const PEERS = ['AUTH_ADDR', 'INVENTORY_ADDR'];
/** Port 1 on loopback: a call there is refused at once. */
const UNREACHABLE = '127.0.0.1:1';

/**
 * A standard service started in this process from its real definition, the
 * one its main.ts runs: config through its own loader, its module factory,
 * storage on a fresh database of the test server, the shared broker, and the
 * rpc server on a free loopback port. The test can reach what the service
 * built (`running.module`, `running.storage`) and calls it through a typed
 * client. Logs are captured (and printed with TEST_LOGS set).
 */
export async function startServiceUnderTest<
  Desc extends DescService,
  Config extends TestableConfig,
  Running extends RunningService,
  Overrides = never,
>(
  definition: TestableService<Desc, Config, Running, Overrides>,
  options: ServiceUnderTestOptions<Overrides> = {},
): Promise<ServiceUnderTest<Desc, Running>> {
  const loaded = definition.loadConfig({
    SWITCHBOARD_ENV: 'development',
    SEED_DEMO_DATA: 'false',
    SHUTDOWN_GRACE_MS: '2000',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    // Peers the test does not name are unreachable, never a well-known port
    // where `npm start` or another run may be listening.
    ...Object.fromEntries(PEERS.map((peer) => [peer, UNREACHABLE])),
    ...options.env,
  });
  let database: TestDatabase | undefined;
  if (options.databaseUrl === undefined) {
    database = await createTestDatabase(`${loaded.key}_spec`);
  }
  const databaseUrl = options.databaseUrl ?? database!.url;
  const lines: string[] = [];
  const logger = createLogger({
    service: `${loaded.key}-test`,
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        if (process.env.TEST_LOGS) process.stdout.write(chunk);
        done();
      },
    }),
  });
  const host = options.host ?? '127.0.0.1';
  let running: Running;
  try {
    running = await definition.start({
      config: { ...loaded, serviceDatabaseUrl: databaseUrl },
      logger,
      host,
      port: 0,
      poolSize: options.poolSize,
      authenticate: options.authenticate,
      overrides: options.overrides,
    });
  } catch (err) {
    await database?.drop().catch(() => undefined);
    throw err;
  }
  const address = host.includes(':') ? `[${host}]:${running.port}` : `${host}:${running.port}`;
  const transport = createGrpcJsTransport({ address, defaultTimeoutMs: 30_000 });
  return {
    running,
    client: createServiceClient(definition.service, transport),
    address,
    databaseUrl,
    logs: () => lines.flatMap((line) => parsedLine(line)),
    logText: () => lines.join(''),
    async stop() {
      transport.close();
      try {
        await running.close();
      } finally {
        await database?.drop();
      }
    },
  };
}

function parsedLine(line: string): Record<string, unknown>[] {
  try {
    return [JSON.parse(line) as Record<string, unknown>];
  } catch {
    return []; // not one of the logger's lines
  }
}
