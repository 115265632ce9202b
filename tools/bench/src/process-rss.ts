// Resident memory of the processes under test, read from /proc/<pid>/status
// (VmRSS): what the operating system actually holds for each, heap or not.
import { readFileSync } from 'node:fs';

/** VmRSS in MiB, or NaN when the process is gone or /proc is not there. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Proportional set size in MiB (shared pages divided among the processes
 * sharing them), or NaN. Sums of RSS count PostgreSQL's shared buffers once
 * per backend; sums of PSS do not.
 */
export function pssMiB(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = /^Pss:\s+(\d+)\s+kB/m.exec(rollup)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) / 1024;
  } catch {
    return Number.NaN;
  }
}

export interface RssSampler {
  /** Stops sampling; the highest VmRSS seen per pid, in MiB. */
  stop(): Map<number, number>;
}

/** Samples every `intervalMs` until stopped, keeping each pid's peak. */
export function sampleRss(pids: readonly number[], intervalMs = 200): RssSampler {
  const peaks = new Map<number, number>(pids.map((pid) => [pid, Number.NaN]));
  const sample = () => {
    for (const pid of pids) {
      const value = rssMiB(pid);
      const peak = peaks.get(pid)!;
      if (Number.isFinite(value) && !(value <= peak)) peaks.set(pid, value);
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
