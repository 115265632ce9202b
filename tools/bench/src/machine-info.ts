// The machine a run was measured on, for the published figures: numbers are
// only comparable between runs on the same kind of machine and versions.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly kafka: string;
  readonly postgres: string;
  readonly java: string;
}

/** The broker version the workspace runs, as tools/kafka/local-kafka.mjs pins it. */
export function kafkaVersion(workspaceRoot: string): string {
  const script = readFileSync(join(workspaceRoot, 'tools', 'kafka', 'local-kafka.mjs'), 'utf8');
  return /const KAFKA_VERSION = '([^']+)'/.exec(script)?.[1] ?? 'unknown';
}

async function postgresVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: 3_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? 'unknown';
  } catch (err) {
    return `unreachable (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function javaVersion(): Promise<string> {
  try {
    // `java -version` prints to stderr.
    const { stderr } = await promisify(execFile)('java', ['-version'], { timeout: 10_000 });
    return /version "([^"]+)"/.exec(stderr)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

export async function machineInfo(
  workspaceRoot: string,
  databaseUrl: string,
): Promise<MachineInfo> {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    kafka: kafkaVersion(workspaceRoot),
    postgres: await postgresVersion(databaseUrl),
    java: await javaVersion(),
  };
}

export function describeMachine(info: MachineInfo): string {
  return (
    `${info.cores} cores (${info.cpu}), ${info.memoryGiB} GiB, ${info.os}; ` +
    `Node ${info.node}, Kafka ${info.kafka} (Java ${info.java}), PostgreSQL ${info.postgres}`
  );
}
