import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { startLauncher } from './start-launcher';

export interface RabbitTestBrokerOptions {
  /** Reuse a data directory (a restart of the same broker); kept on stop. */
  readonly dataDir?: string;
  /** Pass the ports of a stopped broker to bring the same node back. */
  readonly ports?: RabbitTestBrokerPorts;
}

export interface RabbitTestBrokerPorts {
  readonly amqp: number;
  readonly dist: number;
  readonly epmd: number;
}

export interface RabbitTestBroker {
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
  readonly ports: RabbitTestBrokerPorts;
  stop(): Promise<void>;
}

/**
 * A RabbitMQ node of the caller's own (tools/rabbitmq/local-rabbitmq.mjs on
 * free loopback ports, its own epmd, a throwaway data dir unless one is
 * given), for the jest global setup and for tests that restart the broker.
 */
export async function startRabbitTestBroker(
  options: RabbitTestBrokerOptions = {},
): Promise<RabbitTestBroker> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchboard-rabbitmq-')));
  const ports = options.ports ?? {
    amqp: await freePort(),
    dist: await freePort(),
    epmd: await freePort(),
  };
  const args = [
    '--port',
    String(ports.amqp),
    '--dist-port',
    String(ports.dist),
    '--epmd-port',
    String(ports.epmd),
    '--data-dir',
    dataDir,
  ];
  const launched = await startLauncher('rabbitmq', args, 120_000).catch(async (err: unknown) => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: launched.address,
    ports,
    stop: async () => {
      await launched.stop();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
