import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { findWorkspaceRoot } from '@switchboard/testing';
import { consecutiveFreePorts } from './free-ports';

/** One KRaft node of the cluster, run by tools/kafka/local-kafka.mjs --node K. */
export interface ClusterNode {
  readonly id: number;
  readonly address: string;
  /** The broker JVM's PID (what a fault signals), read from the node's pid file. */
  jvmPid(): number;
}

export interface KafkaCluster {
  readonly brokers: string[];
  readonly nodes: readonly ClusterNode[];
  /** SIGKILL the node's JVM: no shutdown, no flush beyond what the OS has. */
  kill(id: number): Promise<void>;
  /** Starts a killed node again on its own data; resolves once it answers. */
  restart(id: number): Promise<void>;
  /** SIGSTOP / SIGCONT the node's JVM: it stops answering but keeps its sockets open. */
  pause(id: number): void;
  resume(id: number): void;
  /** The node that leads the most partitions of the given topics (all topics when empty). */
  leaderOfMostPartitions(topics?: string[]): Promise<number>;
  /** Every node's supervisor output, for a failure report. */
  output(): string;
  stop(): Promise<void>;
}

const NODES = 3;
const START_TIMEOUT_MS = 240_000;

/**
 * Three KRaft nodes (broker and controller each) on loopback, every one its own
 * supervisor process, so that a test can kill, pause and restart one node while
 * the others run, exactly as a node fails in a real cluster. Topics created on
 * it get replication factor 3 and min.insync.replicas 2 (the cluster's defaults).
 */
export async function startKafkaCluster(dataDir: string): Promise<KafkaCluster> {
  const root = findWorkspaceRoot(__dirname);
  const brokerPorts = await consecutiveFreePorts(NODES);
  const controllerPorts = await consecutiveFreePorts(NODES);
  const brokers = brokerPorts.map((port) => `127.0.0.1:${port}`);
  const supervisors = new Map<number, { child: ChildProcess; exited: Promise<void> }>();
  let log = '';

  function startNode(id: number): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        join(root, 'tools', 'kafka', 'local-kafka.mjs'),
        '--nodes',
        String(NODES),
        '--node',
        String(id),
        '--port',
        String(brokerPorts[0]),
        '--controller-port',
        String(controllerPorts[0]),
        '--data-dir',
        dataDir,
        '--quiet',
      ],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    supervisors.set(id, { child, exited });
    return new Promise<void>((ready, failed) => {
      const timer = setTimeout(
        () => failed(new Error(`kafka node ${id} was not ready within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        log = (log + text.replace(/^/gm, `[node ${id}] `)).slice(-64 * 1024);
        if (/\] (node \d+ )?ready\b/.test(text)) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        failed(new Error(`kafka node ${id} exited before it was ready:\n${log}`));
      });
    });
  }

  const nodes: ClusterNode[] = brokerPorts.map((port, index) => ({
    id: index + 1,
    address: `127.0.0.1:${port}`,
    jvmPid: () =>
      Number(
        readFileSync(
          join(dataDir, 'kafka-cluster', `node-${index + 1}`, 'kafka.pid'),
          'utf8',
        ).trim(),
      ),
  }));
  const nodeOf = (id: number) => {
    const node = nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no kafka node ${id}`);
    return node;
  };

  async function stopNode(id: number): Promise<void> {
    const supervisor = supervisors.get(id);
    if (supervisor === undefined) return;
    supervisor.child.kill('SIGTERM');
    const timer = setTimeout(() => supervisor.child.kill('SIGKILL'), 30_000);
    await supervisor.exited;
    clearTimeout(timer);
    supervisors.delete(id);
  }

  // A lone node cannot become ready before a quorum of controllers runs: start all at once.
  try {
    await Promise.all(nodes.map((node) => startNode(node.id)));
  } catch (err) {
    await Promise.all(nodes.map((node) => stopNode(node.id)));
    throw err;
  }

  return {
    brokers,
    nodes,
    async kill(id) {
      const pid = nodeOf(id).jvmPid();
      process.kill(pid, 'SIGKILL');
      // Its supervisor sees the JVM die and exits on its own.
      await supervisors.get(id)?.exited;
      supervisors.delete(id);
    },
    restart: (id) => startNode(nodeOf(id).id),
    pause: (id) => process.kill(nodeOf(id).jvmPid(), 'SIGSTOP'),
    resume: (id) => process.kill(nodeOf(id).jvmPid(), 'SIGCONT'),
    async leaderOfMostPartitions(topics = []) {
      const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'chaos-probe' });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const names =
          topics.length > 0
            ? topics
            : (await admin.listTopics()).filter((name) => !name.startsWith('__'));
        const metadata = await admin.fetchTopicMetadata({ topics: names });
        const led = new Map<number, number>();
        for (const topic of metadata.topics) {
          for (const partition of topic.partitions) {
            led.set(partition.leader, (led.get(partition.leader) ?? 0) + 1);
          }
        }
        const [leader] = [...led.entries()].sort((a, b) => b[1] - a[1])[0] ?? [nodes[0]!.id];
        return leader;
      } finally {
        await admin.disconnect();
      }
    },
    output: () => log,
    async stop() {
      for (const node of nodes) {
        try {
          process.kill(node.jvmPid(), 'SIGCONT');
        } catch {
          // not running
        }
      }
      await Promise.all(nodes.map((node) => stopNode(node.id)));
    },
  };
}
