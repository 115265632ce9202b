// CPU time and family of the processes under test, read from /proc: what the
// kernel charged each process (user + system), so a figure like "CPU per
// order" adds up every process that did work for it, database and broker
// included, and nothing the load generator itself spent.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream build. */
const TICK_MS = 10;

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** R, S, D, Z (a zombie: exited, not yet reaped) … */
  readonly state: string;
  /** The command line, NULs as spaces. */
  readonly cmdline: string;
  /** user + system CPU so far, in ms. */
  readonly cpuMs: number;
}

/** One process from /proc, or undefined once it is gone. */
export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return {
      pid,
      ppid: Number(fields[1]),
      state: fields[0] ?? '?',
      cmdline,
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of this process's children that have ended and been waited for
 * (cutime + cstime in /proc/self/stat). A load tool run as a child ends
 * before a meter could read it; the kernel adds what it used here when it is
 * reaped, so the difference over a run is the tool's own cost.
 */
export function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** Every process `root` started, directly or not (root itself excluded). */
export function descendantsOf(root: number): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info !== undefined) all.push(info);
  }
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** A short name for what a process is: the app, postgres, a broker, a load tool, or 'other'. */
export function roleOf(cmdline: string): string {
  // nx runs each serve command through a shell whose command line names the app: not the app.
  if (/^(\S*\/)?(ba|da)?sh -c\b/.test(cmdline)) return 'other';
  if (cmdline.includes('tools/kafka/local-kafka.mjs')) return 'kafka';
  if (cmdline.includes('tools/postgres/local-postgres.mjs')) return 'postgres';
  // The work queue's brokers: RabbitMQ's Erlang VM and its helpers, ElasticMQ's JVM.
  if (
    /tools\/rabbitmq\/local-rabbitmq\.mjs|rabbitmq-server|\bbeam\.smp\b|\berl_child_setup\b|(^|\/)epmd\s/.test(
      cmdline,
    )
  ) {
    return 'rabbitmq';
  }
  if (/tools\/elasticmq\/local-elasticmq\.mjs|\borg\.elasticmq\.server\.Main\b/.test(cmdline)) {
    return 'elasticmq';
  }
  // npm start runs dist/apps/<app>/main.cjs; startServiceProcess dist/test-services/<app>-<hash>/main.cjs;
  // the bench its own copy of the gateway, dist/bench/edge-gateway/main.cjs.
  const app = /dist\/(?:apps|test-services|bench)\/(edge-gateway|[a-z]+-service)\b/.exec(cmdline);
  if (app !== null) return app[1]!;
  if (cmdline.includes('autocannon-runner.cjs')) return 'autocannon';
  if (/kafka\.Kafka\b/.test(cmdline)) return 'kafka';
  if (/(^|\/)postgres(:|\s|$)/.test(cmdline)) return 'postgres';
  if (/(^|\/)ghz\s/.test(cmdline)) return 'ghz';
  return 'other';
}

/** CPU ms per role used between two moments, for the processes that lived through both. */
export interface CpuMeter {
  /** Stops the meter: CPU ms per role since it started. */
  stop(): Map<string, number>;
}

/**
 * Starts metering every descendant of `root`, grouped by role. Processes that
 * start later (a postgres backend for a new connection) count from zero;
 * processes that end before stop() are lost, which undercounts slightly and
 * is why the bench keeps its connections open.
 */
export function meterCpu(root = process.pid): CpuMeter {
  const before = new Map(descendantsOf(root).map((p) => [p.pid, p.cpuMs]));
  return {
    stop() {
      const used = new Map<string, number>();
      for (const p of descendantsOf(root)) {
        const role = roleOf(p.cmdline);
        used.set(role, (used.get(role) ?? 0) + p.cpuMs - (before.get(p.pid) ?? 0));
      }
      return used;
    },
  };
}
