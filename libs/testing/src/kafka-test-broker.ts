import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Jest loads global setup files without its moduleNameMapper, so this file
// (used by jest-kafka-setup.ts) may only import node built-ins and npm
// packages, never a workspace alias such as @switchboard/event-bus.

export interface TestBroker {
  /** Bootstrap addresses, e.g. ['127.0.0.1:40123']. */
  readonly brokers: string[];
  /** Stops what this call started; a reused broker is left alone. */
  stop(): Promise<void>;
}

const KAFKA_IMAGE = 'apache/kafka:4.3.1';
const READY_LINE = /\[local-kafka\] ready: (\S+)/;
/** A cold start may first download ~45 MB of jars with Maven. */
const START_TIMEOUT_MS = 240_000;

/**
 * A real Kafka broker for integration tests, in order of preference: the one
 * KAFKA_BROKERS points at if it answers; a container when a container runtime
 * answers; otherwise tools/kafka/local-kafka.mjs on a free loopback port with
 * a throwaway data directory.
 */
export async function startTestBroker(): Promise<TestBroker> {
  const configured = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (configured.length > 0) {
    if (await kafkaAnswers(configured[0]!)) {
      return { brokers: configured, stop: async () => {} };
    }
    console.warn(
      `KAFKA_BROKERS=${configured.join(',')} does not answer; starting a broker for the tests`,
    );
  }
  const container = await tryContainerBroker();
  if (container) return container;
  return startLocalBroker();
}

/**
 * Sends a Kafka ApiVersions v0 request and checks that a Kafka-shaped answer
 * with our correlation id comes back: a plain TCP connect would also succeed
 * against any other server on that port.
 */
export function kafkaAnswers(address: string, timeoutMs = 2_000): Promise<boolean> {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(idx + 1));
  const correlationId = 0x5b0a_4d01;
  const clientId = Buffer.from('switchboard-probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // version 0: never removed, since clients negotiate with it
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);

  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write(Buffer.concat([frame, body])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 8) finish(received.readInt32BE(4) === correlationId);
    });
    socket.on('end', () => finish(false));
  });
}

async function tryContainerBroker(): Promise<TestBroker | undefined> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
    await testcontainers.getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { GenericContainer, Wait } = testcontainers;
  // The same port inside and out lets the advertised address work both for
  // the host's clients and for the broker's connections to itself.
  const port = await freePort();
  const started = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      CLUSTER_ID: 'c3dpdGNoYm9hcmQta2Fmaw',
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
      KAFKA_MIN_INSYNC_REPLICAS: '1',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_LOG4J_ROOT_LOGLEVEL: 'WARN',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(START_TIMEOUT_MS)
    .start();
  const address = `127.0.0.1:${port}`;
  await waitUntil(() => kafkaAnswers(address), 60_000, `Kafka in ${KAFKA_IMAGE} did not answer`);
  return {
    brokers: [address],
    stop: async () => {
      await started.stop();
    },
  };
}

export interface LocalBrokerOptions {
  /** Reuse a data directory (a restart of the same broker); kept on stop. */
  dataDir?: string;
  port?: number;
  controllerPort?: number;
  /** Start it with `--secure`: SASL_SSL, StandardAuthorizer and the services' ACLs. */
  secure?: boolean;
}

export interface SecureTestBroker extends TestBroker {
  /** The CA that signed the broker's certificate (PEM file). */
  readonly caFile: string;
  /** SCRAM-SHA-512 passwords by user: `admin` (a super user) and one per service. */
  readonly passwords: Readonly<Record<string, string>>;
}

/**
 * A secured broker of this test file's own (free loopback ports, a temp data
 * dir): a SASL_SSL listener with SCRAM-SHA-512 users, StandardAuthorizer, and
 * the ACLs derived from the topic registry already applied.
 */
export async function startSecureTestBroker(
  options: Omit<LocalBrokerOptions, 'secure'> = {},
): Promise<SecureTestBroker> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchboard-kafka-secure-')));
  const broker = await startLocalBroker({ ...options, dataDir, secure: true }).catch(
    async (err: unknown) => {
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
      throw err;
    },
  );
  const secureDir = join(dataDir, 'kafka-secure', 'secure');
  const passwords = JSON.parse(await readFile(join(secureDir, 'users.json'), 'utf8')) as Record<
    string,
    string
  >;
  return {
    brokers: broker.brokers,
    caFile: join(secureDir, 'ca.pem'),
    passwords,
    stop: async () => {
      await broker.stop();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A broker of this test's own, for tests that stop and restart it (broker
 * outages). Pass the same dataDir and ports again to bring the same broker
 * back with its topics and offsets.
 */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<TestBroker> {
  const script = findLocalKafkaScript();
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'switchboard-kafka-')));
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      script,
      '--port',
      String(port),
      '--controller-port',
      String(controllerPort),
      '--data-dir',
      dataDir,
      '--quiet',
      ...(options.secure ? ['--secure'] : []),
    ],
    {
      env: {
        ...process.env,
        KAFKA_BROKERS: `127.0.0.1:${port}`,
        KAFKA_SECURITY: options.secure ? 'sasl_ssl' : 'plaintext',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const output: string[] = [];
  let stdout = '';
  const brokers = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(`local Kafka was not ready within ${START_TIMEOUT_MS} ms:\n${output.join('')}`),
      );
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      stdout += text;
      const match = READY_LINE.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.split(','));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`local Kafka exited (code ${code}) before it was ready:\n${output.join('')}`),
      );
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, exited);
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  // From here on its output is of no interest, but the pipes must keep draining.
  child.stdout!.removeAllListeners('data').resume();
  child.stderr!.removeAllListeners('data').resume();
  return {
    brokers,
    stop: async () => {
      await stopChild(child, exited);
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function findLocalKafkaScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'tools', 'kafka', 'local-kafka.mjs');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`tools/kafka/local-kafka.mjs not found above ${__dirname}`);
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe listener'));
      });
    });
  });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, message: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(message);
}
