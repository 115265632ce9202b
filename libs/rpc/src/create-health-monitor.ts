import { systemClock, type Clock, type ClockTimer } from '@switchboard/timing';

/** A dependency check, e.g. a database ping; it fails by throwing or rejecting. */
export type HealthProbe = () => Promise<void>;

export interface HealthMonitorOptions {
  probes: Record<string, HealthProbe>;
  intervalMs: number;
  /** A probe slower than this counts as failed; defaults to intervalMs. */
  probeTimeoutMs?: number;
  /** Times the rounds (not the probe timeout); tests pass a manual clock and step it. */
  clock?: Clock;
}

export interface ProbeFailure {
  probe: string;
  error: string;
}

export interface HealthChange {
  serving: boolean;
  failures: ProbeFailure[];
}

export interface HealthMonitor {
  /** True when every probe passed in the latest round. */
  readonly serving: boolean;
  readonly failures: readonly ProbeFailure[];
  /** Starts polling (first round at once); idempotent. The server calls it from start(). */
  start(): void;
  stop(): void;
  /** Runs one round now and returns the resulting state. */
  checkNow(): Promise<boolean>;
  /** Called after the first round and on every transition; returns the unsubscribe function. */
  onChange(listener: (change: HealthChange) => void): () => void;
}

function runProbe(name: string, probe: HealthProbe, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`probe ${name} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  // A probe that hangs must not freeze the reported state at its last value.
  return Promise.race([Promise.resolve().then(probe), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls dependency probes and reports SERVING only while all of them pass.
 * It starts NOT_SERVING (unless there is nothing to probe) so that a load
 * balancer sends nothing before the first round has proven the dependencies.
 */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const probes = Object.entries(options.probes);
  const probeTimeoutMs = options.probeTimeoutMs ?? options.intervalMs;
  const listeners = new Set<(change: HealthChange) => void>();
  let serving = probes.length === 0;
  let failures: ProbeFailure[] = [];
  const clock = options.clock ?? systemClock;
  let timer: ClockTimer | undefined;
  let running = false;
  let round: Promise<boolean> | undefined;
  let established = false;

  async function check(): Promise<boolean> {
    const results = await Promise.allSettled(
      probes.map(([name, probe]) => runProbe(name, probe, probeTimeoutMs)),
    );
    const next: ProbeFailure[] = [];
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const reason: unknown = result.reason;
        next.push({
          probe: probes[i]?.[0] ?? String(i),
          error: reason instanceof Error ? reason.message : String(reason),
        });
      }
    });
    failures = next;
    const nowServing = next.length === 0;
    // The first round is reported even without a change: it is when a
    // NOT_SERVING start turns from "not checked yet" into "found failing".
    if (nowServing !== serving || !established) {
      established = true;
      serving = nowServing;
      for (const listener of listeners) listener({ serving, failures });
    }
    return serving;
  }

  function checkNow(): Promise<boolean> {
    // Overlapping rounds would race on the state; callers share the one in flight.
    round ??= check().finally(() => {
      round = undefined;
    });
    return round;
  }

  function schedule() {
    if (!running) return;
    // The system clock's timers are unref'd: polling alone must not keep a process alive.
    timer = clock.setTimeout(() => {
      void checkNow().finally(schedule);
    }, options.intervalMs);
  }

  return {
    get serving() {
      return serving;
    },
    get failures() {
      return failures;
    },
    start() {
      if (running) return;
      running = true;
      void checkNow().finally(schedule);
    },
    stop() {
      running = false;
      timer?.cancel();
    },
    checkNow,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
