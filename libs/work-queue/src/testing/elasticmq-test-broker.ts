import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { startLauncher } from './start-launcher';

export interface ElasticMqTestBrokerOptions {
  /**
   * The port of a stopped broker, to bring one back at the same address.
   * ElasticMQ keeps queues and messages in memory: what comes back is empty.
   */
  readonly port?: number;
}

export interface ElasticMqTestBroker {
  /** http://127.0.0.1:<port>; queue URLs are <endpoint>/000000000000/<name>. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface ElasticMqTestBrokerOptions {
  /** A port chosen beforehand, e.g. one a service was told to use before the broker was up. */
  readonly port?: number;
}

/** ElasticMQ on a free loopback port (tools/elasticmq/local-elasticmq.mjs), for the SQS backend's tests. */
export async function startElasticMqTestBroker(
  options: ElasticMqTestBrokerOptions = {},
): Promise<ElasticMqTestBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-elasticmq-'));
  const port = options.port ?? (await freePort());
  // A cold start may first fetch the jars with Maven.
  const launched = await startLauncher(
    'elasticmq',
    ['--port', String(port), '--data-dir', dataDir],
    240_000,
  ).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    endpoint: launched.address,
    port,
    stop: async () => {
      await launched.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
